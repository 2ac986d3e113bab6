"""Spatio-temporal actions: a vocabulary per project, action labels per person and keyframe and
annotator, clips cut from longer videos, keyframe rates. New tables only.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_class",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=True),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "action_id"),
        sa.UniqueConstraint("project_id", "name"),
    )
    with op.batch_alter_table("action_class", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_class_project_id"), ["project_id"], unique=False)
    op.create_table(
        "action_label",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=True),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["annotator_id"], ["user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["object.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("action_label", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_label_annotator_id"), ["annotator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_label_media_id"), ["media_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_label_object_id"), ["object_id"], unique=False)
    op.create_table(
        "clip",
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("source_media_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("start_seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("media_id"),
    )
    op.create_table(
        "keyframe_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("hz", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "media_id"),
    )
    with op.batch_alter_table("keyframe_rate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_keyframe_rate_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_table("keyframe_rate")
    op.drop_table("clip")
    op.drop_table("action_label")
    op.drop_table("action_class")
