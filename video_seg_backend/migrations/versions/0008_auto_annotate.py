"""Auto-annotation jobs: the job kind ``auto-annotate`` (stored by name, ``auto_annotate``).

SQLite keeps the kind as a plain string, so only Postgres' named enum type needs the new value.

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Allowed in a transaction since Postgres 12; the value is used only after the commit.
        op.execute("ALTER TYPE jobkind ADD VALUE IF NOT EXISTS 'auto_annotate'")


def downgrade() -> None:
    # Postgres cannot drop one value of an enum type; an unused extra value is harmless, so it stays.
    # Auto-annotation jobs themselves go: a downgraded studio could not read their kind.
    op.execute("DELETE FROM job WHERE kind = 'auto_annotate'")
