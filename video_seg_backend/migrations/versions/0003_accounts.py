"""Accounts: users, project membership, assignments with review comments, and the history of
who did what. New tables only; nothing existing changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
# Becomes "0002" when the jobs migration is merged.
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("hashed_password", sa.String(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "history_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("frame_index", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("history_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_event_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_event_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_event_media_id"), ["media_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_event_project_id"), ["project_id"], unique=False)

    op.create_table(
        "project_member",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "user_id"),
    )
    with op.batch_alter_table("project_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("replica", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("media_id", "user_id"),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_media_id"), ["media_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_user_id"), ["user_id"], unique=False)

    op.create_table(
        "review_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("frame_index", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_comment_assignment_id"), ["assignment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_comment_assignment_id"))

    op.drop_table("review_comment")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_user_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_project_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_media_id"))

    op.drop_table("assignment")
    with op.batch_alter_table("project_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_member_user_id"))

    op.drop_table("project_member")
    with op.batch_alter_table("history_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_event_project_id"))
        batch_op.drop_index(batch_op.f("ix_history_event_media_id"))
        batch_op.drop_index(batch_op.f("ix_history_event_job_id"))
        batch_op.drop_index(batch_op.f("ix_history_event_created_at"))

    op.drop_table("history_event")
    op.drop_table("user")
