"""the public register's indexes

Revision ID: 0015
Revises: 0014

The register lists published pledges (accepted, with the city's consent: pledges/publication.py)
newest accepted first, by city, or by their last report; each index starts with the two columns
of that rule, so counting and paging read the index alone; so do the indexes of the filters by
region, country and stage. The feed reads the newest sent progress reports.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_pledge_published_accepted_at", "pledge",
                    ["review_state", "consent_publish", "accepted_at", "id"])
    op.create_index("ix_pledge_published_city", "pledge",
                    ["review_state", "consent_publish", sa.text("lower(city)"), "id"])
    # Most recently reported first, never reported last: PostgreSQL is told so; SQLite's
    # NULLs come last when it reads an index backwards.
    if op.get_bind().dialect.name == "postgresql":
        reported = [sa.text("last_report_at DESC NULLS LAST"), sa.text("id DESC")]
    else:
        reported = ["last_report_at", "id"]
    op.create_index("ix_pledge_published_last_report_at", "pledge",
                    ["review_state", "consent_publish", *reported])
    for column in ("region", "country_code", "implementation_stage"):  # the filters' columns
        op.create_index(f"ix_pledge_published_{column}", "pledge",
                        ["review_state", "consent_publish", column, "accepted_at", "id"])
    op.create_index("ix_progress_report_state_sent_at", "progress_report",
                    ["state", "sent_at", "id"])


def downgrade():
    op.drop_index("ix_progress_report_state_sent_at", table_name="progress_report")
    for column in ("region", "country_code", "implementation_stage"):
        op.drop_index(f"ix_pledge_published_{column}", table_name="pledge")
    op.drop_index("ix_pledge_published_last_report_at", table_name="pledge")
    op.drop_index("ix_pledge_published_city", table_name="pledge")
    op.drop_index("ix_pledge_published_accepted_at", table_name="pledge")
