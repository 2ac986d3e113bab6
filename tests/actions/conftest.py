from tests.teams.conftest import team  # noqa: F401  (two annotators and a reviewer, sign-in on)
