"""indexes for the coordinators' queue

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COVERING = ("review_state", "submitted_at", "id")


def upgrade():
    op.drop_index("ix_pledge_review_state_submitted_at", table_name="pledge")
    op.create_index("ix_pledge_review_state_submitted_at", "pledge", list(COVERING))
    op.drop_index("ix_pledge_region", table_name="pledge")
    op.create_index("ix_pledge_region", "pledge", ["region", *COVERING])
    op.drop_index("ix_pledge_assignee_id", table_name="pledge")
    op.create_index("ix_pledge_assignee_id", "pledge", ["assignee_id", *COVERING])
    op.create_index("ix_pledge_country_code", "pledge", ["country_code", *COVERING])
    op.create_index("ix_pledge_city_lower", "pledge", [sa.text("lower(city)"), "id"])
    op.drop_index("ix_pledge_action_area_area", table_name="pledge_action_area")
    op.create_index("ix_pledge_action_area_area", "pledge_action_area", ["area", "pledge_id"])


def downgrade():
    op.drop_index("ix_pledge_action_area_area", table_name="pledge_action_area")
    op.create_index("ix_pledge_action_area_area", "pledge_action_area", ["area"])
    op.drop_index("ix_pledge_city_lower", table_name="pledge")
    op.drop_index("ix_pledge_country_code", table_name="pledge")
    op.drop_index("ix_pledge_assignee_id", table_name="pledge")
    op.create_index("ix_pledge_assignee_id", "pledge", ["assignee_id"])
    op.drop_index("ix_pledge_region", table_name="pledge")
    op.create_index("ix_pledge_region", "pledge", ["region"])
    op.drop_index("ix_pledge_review_state_submitted_at", table_name="pledge")
    op.create_index("ix_pledge_review_state_submitted_at", "pledge",
                    ["review_state", "submitted_at"])
