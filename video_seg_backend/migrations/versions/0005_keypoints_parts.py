"""Keypoints and part regions: a label's structure (named keypoints, skeleton edges, parts), a
keypoint table, an object's parent (a part belongs to its object) and the keypoint job kind.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
# Becomes the revision before it when the lead chains the migrations.
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL's native enum lists the job kinds by name (SQLite stores a plain VARCHAR). Since
        # PostgreSQL 12 this runs inside the migration's transaction; the value is used only after it.
        op.execute("ALTER TYPE jobkind ADD VALUE IF NOT EXISTS 'keypoints'")
    with op.batch_alter_table("label") as batch:
        batch.add_column(sa.Column("structure", sa.JSON(), nullable=True))
    with op.batch_alter_table("object") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_object_parent_id"), ["parent_id"], unique=False)
        batch.create_foreign_key("fk_object_parent_id_object", "object", ["parent_id"], ["id"], ondelete="CASCADE")
    op.create_table(
        "keypoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=False),
        sa.Column("point", sa.Integer(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("visibility", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["object.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("object_id", "frame_index", "point"),
    )
    with op.batch_alter_table("keypoint") as batch:
        batch.create_index(batch.f("ix_keypoint_frame_index"), ["frame_index"], unique=False)
        batch.create_index(batch.f("ix_keypoint_media_id"), ["media_id"], unique=False)
        batch.create_index(batch.f("ix_keypoint_object_id"), ["object_id"], unique=False)


def downgrade() -> None:
    op.drop_table("keypoint")
    with op.batch_alter_table("object") as batch:
        batch.drop_constraint("fk_object_parent_id_object", type_="foreignkey")
        batch.drop_index(batch.f("ix_object_parent_id"))
        batch.drop_column("parent_id")
    with op.batch_alter_table("label") as batch:
        batch.drop_column("structure")
