"""Mask confidence: each tracked mask's confidence in [0, 1] and whether a person accepted it
(the review queue). Two columns on annotation; existing masks get no confidence and are not
reviewed, so they stay out of the queue until tracked again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotation") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("reviewed", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("annotation") as batch:
        batch.drop_column("reviewed")
        batch.drop_column("confidence")
