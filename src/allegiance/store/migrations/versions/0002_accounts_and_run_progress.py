"""Users, API tokens and web sessions; runs gain progress, owner and the process running them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("progress", sa.Float))
        batch.add_column(sa.Column("pid", sa.Integer))
        batch.add_column(sa.Column("host", sa.String(255)))
        batch.add_column(sa.Column("owner", sa.String(200)))
    op.create_index("ix_runs_owner_id", "runs", ["owner", "id"])
    # runs finished before this revision are complete
    op.execute("UPDATE runs SET progress = 1.0 WHERE status = 'done'")
    op.create_table(
        "users",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(500)),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(100),
                  sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_api_tokens_user_name", "api_tokens", ["user_name"])
    op.create_table(
        "web_sessions",
        sa.Column("session_hash", sa.String(200), primary_key=True),
        sa.Column("user_name", sa.String(100),
                  sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_web_sessions_user_name", "web_sessions", ["user_name"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_index("ix_runs_owner_id", "runs")
    with op.batch_alter_table("runs") as batch:
        for column in ("owner", "host", "pid", "progress"):
            batch.drop_column(column)
