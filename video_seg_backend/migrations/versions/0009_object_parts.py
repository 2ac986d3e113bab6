"""Part regions: an object's ``part`` name (shaft, gripper) beside its ``parent_id`` (added in 0005).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("object") as batch:
        batch.add_column(sa.Column("part", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("object") as batch:
        batch.drop_column("part")
