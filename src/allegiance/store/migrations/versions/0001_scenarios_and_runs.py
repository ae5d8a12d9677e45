"""Scenario versions and runs.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scenario_versions",
        sa.Column("content_hash", sa.String(80), primary_key=True),
        sa.Column("scenario_id", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("document_sha256", sa.String(64)),
        sa.Column("saved_by", sa.String(200)),
        sa.Column("saved_at", TZ, nullable=False),
        sa.Column("deleted_at", TZ),
    )
    op.create_index("ix_scenario_versions_scenario_id", "scenario_versions", ["scenario_id"])
    op.create_index("ix_scenario_versions_document_sha256", "scenario_versions",
                    ["document_sha256"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("scenario_hash", sa.String(80),
                  sa.ForeignKey("scenario_versions.content_hash"), nullable=False),
        sa.Column("scenario_id", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("parameters", sa.JSON),
        sa.Column("seed", sa.String(80)),
        sa.Column("as_of", sa.String(10)),
        sa.Column("variant", sa.String(200)),
        sa.Column("allegiance_version", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ),
        sa.Column("finished_at", TZ),
        sa.Column("error", sa.Text),
        sa.Column("result", sa.LargeBinary),
        sa.Column("result_encoding", sa.String(10)),
        sa.Column("result_sha256", sa.String(64)),
        sa.Column("label", sa.String(200)),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_runs_scenario_hash", "runs", ["scenario_hash"])
    op.create_index("ix_runs_scenario_id_id", "runs", ["scenario_id", "id"])
    op.create_index("ix_runs_kind_id", "runs", ["kind", "id"])
    op.create_index("ix_runs_status_id", "runs", ["status", "id"])


def downgrade() -> None:
    op.drop_table("runs")
    op.drop_table("scenario_versions")
