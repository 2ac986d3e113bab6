"""Undo of a tracking job gives back a mask's confidence and review state with the mask: two
columns on tracking_change. Changes kept before this revision have none (their masks come back
without a confidence, as they were stored).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracking_change") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("reviewed", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tracking_change") as batch:
        batch.drop_column("reviewed")
        batch.drop_column("confidence")
