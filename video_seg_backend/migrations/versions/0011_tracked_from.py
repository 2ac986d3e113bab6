"""Where a tracked mask came from: the key frame it was tracked from, on the mask and on the copy
an undo keeps. Masks tracked before this revision have none, and re-tracking replaces them as it
always did.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotation") as batch:
        batch.add_column(sa.Column("tracked_from", sa.Integer(), nullable=True))
    with op.batch_alter_table("tracking_change") as batch:
        batch.add_column(sa.Column("tracked_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracking_change") as batch:
        batch.drop_column("tracked_from")
    with op.batch_alter_table("annotation") as batch:
        batch.drop_column("tracked_from")
