"""Initial satudata tables: roles, workflow trail, data requests, validation, notices.

Revision ID: 6a1f0c2d9b10
Revises:
Create Date: 2026-11-25 09:45:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = "6a1f0c2d9b10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "satudata_role_grant",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.UnicodeText, nullable=False),
        sa.Column("organization_id", sa.UnicodeText, sa.ForeignKey("group.id", ondelete="CASCADE")),
        sa.Column("institution", sa.UnicodeText),
        sa.Column("granted_by", sa.UnicodeText),
        sa.Column("granted_at", sa.DateTime, nullable=False),
        sa.Column("revoked_by", sa.UnicodeText),
        sa.Column("revoked_at", sa.DateTime),
    )
    op.create_index("satudata_role_grant_active_idx", "satudata_role_grant", ["user_id", "role", "organization_id"])

    op.create_table(
        "satudata_dataset_event",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("from_status", sa.UnicodeText),
        sa.Column("to_status", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("note", sa.UnicodeText),
        sa.Column("data", JSONB),
    )

    op.create_table(
        "satudata_request",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("needed_by", sa.Date),
        sa.Column("indicators", sa.UnicodeText),
        sa.Column("area_level", sa.UnicodeText),
        sa.Column("years", sa.UnicodeText),
        sa.Column("requester_id", sa.UnicodeText, sa.ForeignKey("user.id", ondelete="SET NULL"), index=True),
        sa.Column("status", sa.UnicodeText, nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("step_started", sa.DateTime, nullable=False),
        sa.Column("step_due", sa.DateTime, index=True),
        sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("pembina_id", sa.UnicodeText),
        sa.Column("recommendation", JSONB),
        sa.Column("table_schema", JSONB),
        sa.Column("metadata_template", JSONB),
        sa.Column("created", sa.DateTime, nullable=False, index=True),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.Column("closed", sa.DateTime),
        sa.Column("close_reason", sa.UnicodeText),
    )

    op.create_table(
        "satudata_request_agency",
        sa.Column("request_id", sa.UnicodeText, sa.ForeignKey("satudata_request.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("organization_id", sa.UnicodeText, sa.ForeignKey("group.id", ondelete="CASCADE"), primary_key=True, index=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("sent", sa.DateTime),
    )
    op.create_table(
        "satudata_request_dataset",
        sa.Column("request_id", sa.UnicodeText, sa.ForeignKey("satudata_request.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True, index=True),
        sa.Column("linked_by", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_table(
        "satudata_request_event",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("request_id", sa.UnicodeText, sa.ForeignKey("satudata_request.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("step", sa.Integer),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("due", sa.DateTime),
        sa.Column("note", sa.UnicodeText),
        sa.Column("data", JSONB),
    )
    op.create_table(
        "satudata_request_comment",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("request_id", sa.UnicodeText, sa.ForeignKey("satudata_request.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id", ondelete="SET NULL")),
        sa.Column("comment", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_table(
        "satudata_request_follower",
        sa.Column("request_id", sa.UnicodeText, sa.ForeignKey("satudata_request.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("created", sa.DateTime, nullable=False),
    )

    op.create_table(
        "satudata_validation",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("resource_id", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("package_id", sa.UnicodeText, index=True),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("started", sa.DateTime),
        sa.Column("finished", sa.DateTime),
        sa.Column("report", JSONB),
        sa.Column("error", JSONB),
        sa.Column("job_id", sa.UnicodeText),
    )

    op.create_table(
        "satudata_notice_log",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("key", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.UniqueConstraint("key", name="satudata_notice_log_key_uq"),
    )


def downgrade():
    for table in ("satudata_notice_log", "satudata_validation", "satudata_request_follower",
                  "satudata_request_comment", "satudata_request_event", "satudata_request_dataset",
                  "satudata_request_agency", "satudata_request", "satudata_dataset_event",
                  "satudata_role_grant"):
        op.drop_table(table)
