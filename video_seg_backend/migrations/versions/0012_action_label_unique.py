"""One action label per annotator, person and keyframe: two saves of the same tick at once made
two rows, and each counted as a vote. Existing duplicates keep their newest row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The same person, keyframe, annotator (NULL: the local user) and kind, saved later (ties: by id).
_NEWER = """
    SELECT 1 FROM action_label AS newer
    WHERE newer.object_id = action_label.object_id
      AND newer.frame_index = action_label.frame_index
      AND COALESCE(newer.annotator_id, 0) = COALESCE(action_label.annotator_id, 0)
      AND newer.merged = action_label.merged
      AND (newer.updated_at > action_label.updated_at
           OR (newer.updated_at = action_label.updated_at AND newer.id > action_label.id))
"""


def upgrade() -> None:
    op.execute(f"DELETE FROM action_label WHERE EXISTS ({_NEWER})")
    op.create_index(
        "ux_action_label_annotator",
        "action_label",
        ["object_id", "frame_index", "annotator_id", "merged"],
        unique=True,
    )
    op.create_index(
        "ux_action_label_local",
        "action_label",
        ["object_id", "frame_index", "merged"],
        unique=True,
        sqlite_where=sa.text("annotator_id IS NULL"),
        postgresql_where=sa.text("annotator_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_action_label_local", table_name="action_label")
    op.drop_index("ux_action_label_annotator", table_name="action_label")
