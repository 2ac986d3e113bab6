"""Jobs run by any process: the columns a runner claims, heartbeats and resumes a job with.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        # Server defaults fill the rows already there; the app always writes its own values.
        batch.add_column(sa.Column("queue", sa.String(length=200), nullable=False, server_default="tracking"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("worker", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("checkpoint", sa.JSON(), nullable=True))
    op.create_index("ix_job_status", "job", ["status"])


def downgrade() -> None:
    op.drop_index("ix_job_status", table_name="job")
    with op.batch_alter_table("job") as batch:
        for column in ("checkpoint", "cancel_requested", "heartbeat_at", "worker", "attempts", "queue"):
            batch.drop_column(column)
