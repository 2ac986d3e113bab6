"""Alembic migrations of the studio database (run at start-up by core/migrations.py)."""
