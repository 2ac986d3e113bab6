"""Baseline: the schema of release 0.1.0, the last one built by ``create_all``.

A database made by that release is stamped at this revision (core/migrations.py), not rebuilt.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Postgres keeps enums as named types, shared by every column that uses them: created once here
# (``create_type=False`` in the columns), where each create_table would otherwise create it again.
ENUMS = {
    "mediatype": ("image", "video"),
    "mediastatus": ("processing", "ready", "failed"),
    "jobkind": ("propagate", "export", "import_", "download_model"),
    "jobstatus": ("queued", "running", "completed", "failed", "canceled"),
    "annotationsource": ("prompt", "propagated", "imported", "edited"),
    "promptkind": ("point", "box"),
}


def enum(name: str) -> postgresql.ENUM:
    # A plain VARCHAR on SQLite, as create_all made it.
    return postgresql.ENUM(*ENUMS[name], name=name, create_type=False)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, values in ENUMS.items():
            postgresql.ENUM(*values, name=name).create(op.get_bind(), checkfirst=True)

    op.create_table(
        "project",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", enum("mediatype"), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "label",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("color", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name"),
    )
    op.create_index("ix_label_project_id", "label", ["project_id"])
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", enum("mediatype"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("storage_key", sa.String(), nullable=False),
        sa.Column("original_file", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("num_frames", sa.Integer(), nullable=False),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("status", enum("mediastatus"), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key"),
    )
    op.create_index("ix_media_project_id", "media", ["project_id"])
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("kind", enum("jobkind"), nullable=False),
        sa.Column("status", enum("jobstatus"), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_project_id", "job", ["project_id"])
    op.create_table(
        "object",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["label_id"], ["label.id"]),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("media_id", "track_id"),
    )
    op.create_index("ix_object_label_id", "object", ["label_id"])
    op.create_index("ix_object_media_id", "object", ["media_id"])
    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("rle_counts", sa.String(), nullable=False),
        sa.Column("bbox_x", sa.Float(), nullable=False),
        sa.Column("bbox_y", sa.Float(), nullable=False),
        sa.Column("bbox_w", sa.Float(), nullable=False),
        sa.Column("bbox_h", sa.Float(), nullable=False),
        sa.Column("area", sa.Integer(), nullable=False),
        sa.Column("source", enum("annotationsource"), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("base_rle_counts", sa.String(), nullable=True),
        sa.Column("base_source", enum("annotationsource"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["object.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("object_id", "frame_index"),
    )
    op.create_index("ix_annotation_frame_index", "annotation", ["frame_index"])
    op.create_index("ix_annotation_media_id", "annotation", ["media_id"])
    op.create_index("ix_annotation_object_id", "annotation", ["object_id"])
    op.create_table(
        "prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=False),
        sa.Column("kind", enum("promptkind"), nullable=False),
        sa.Column("x", sa.Float(), nullable=True),
        sa.Column("y", sa.Float(), nullable=True),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("x0", sa.Float(), nullable=True),
        sa.Column("y0", sa.Float(), nullable=True),
        sa.Column("x1", sa.Float(), nullable=True),
        sa.Column("y1", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["object.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_prompt_frame_index", "prompt", ["frame_index"])
    op.create_index("ix_prompt_media_id", "prompt", ["media_id"])
    op.create_index("ix_prompt_object_id", "prompt", ["object_id"])
    op.create_table(
        "tracking_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=False),
        sa.Column("rle_counts", sa.String(), nullable=True),
        sa.Column("source", enum("annotationsource"), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("base_rle_counts", sa.String(), nullable=True),
        sa.Column("base_source", enum("annotationsource"), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["object.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tracking_change_job_id", "tracking_change", ["job_id"])
    op.create_index("ix_tracking_change_object_id", "tracking_change", ["object_id"])


def downgrade() -> None:
    for table in ("tracking_change", "prompt", "annotation", "object", "job", "media", "label", "project"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for name in ENUMS:
            postgresql.ENUM(name=name).drop(op.get_bind(), checkfirst=True)
