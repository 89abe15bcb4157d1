"""inbound email: messages, attachments, extra contacts, archive imports, IMAP progress

Revision ID: 0018
Revises: 0017

Emails that reach the app are stored once by Message-ID and land on a pledge or in the
coordinators' tray; a pledge gets an opaque reply token for its own reply address.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade():
    # Plain ALTERs, not a batch: a batch rebuilds the table on SQLite and would lose the
    # register's expression indexes (0015).
    op.add_column("pledge", sa.Column("reply_token", sa.String(length=43), nullable=True))
    op.create_index("ix_pledge_reply_token", "pledge", ["reply_token"], unique=True)
    op.create_table(
        "pledge_contact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pledge_id", sa.Integer(), sa.ForeignKey("pledge.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("added_by_id", sa.Integer(),
                  sa.ForeignKey("coordinator.id", ondelete="SET NULL"), nullable=True),
        sa.Column("added_at", WHEN, nullable=False),
        sa.UniqueConstraint("pledge_id", "email"),
    )
    op.create_index("ix_pledge_contact_pledge_id", "pledge_contact", ["pledge_id"])
    op.create_index("ix_pledge_contact_email", "pledge_contact", ["email"])
    op.create_table(
        "archive_import",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(),
                  sa.ForeignKey("coordinator.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
    )
    op.create_index("ix_archive_import_sha256", "archive_import", ["sha256"])
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(length=255), nullable=False, unique=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("from_address", sa.String(length=254), nullable=True),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("to_addresses", sa.JSON(), nullable=False),
        sa.Column("cc_addresses", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("pledge_id", sa.Integer(), sa.ForeignKey("pledge.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("matched_by", sa.String(length=20), nullable=True),
        sa.Column("from_someone_new", sa.Boolean(), nullable=False),
        sa.Column("machine", sa.String(length=20), nullable=True),
        sa.Column("tray_state", sa.String(length=20), nullable=True),
        sa.Column("archive_import_id", sa.Integer(),
                  sa.ForeignKey("archive_import.id", ondelete="SET NULL"), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
    )
    for column in ("from_address", "in_reply_to", "pledge_id", "tray_state", "archive_import_id"):
        op.create_index(f"ix_inbound_message_{column}", "inbound_message", [column])
    op.create_table(
        "inbound_attachment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("inbound_message_id", sa.Integer(),
                  sa.ForeignKey("inbound_message.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=True),
        sa.Column("kept_out", sa.String(length=20), nullable=True),
    )
    op.create_index("ix_inbound_attachment_inbound_message_id", "inbound_attachment",
                    ["inbound_message_id"])
    op.create_table(
        "mailbox_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mailbox", sa.String(length=255), nullable=False, unique=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("polled_at", WHEN, nullable=True),
    )


def downgrade():
    op.drop_table("mailbox_state")
    op.drop_table("inbound_attachment")
    op.drop_table("inbound_message")
    op.drop_table("archive_import")
    op.drop_table("pledge_contact")
    op.drop_index("ix_pledge_reply_token", table_name="pledge")
    op.drop_column("pledge", "reply_token")
