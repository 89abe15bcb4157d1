"""the queue's indexes also hold what its update states read

Revision ID: 0014
Revises: 0013

The queue tells accepted pledges whose update is due, overdue or never received
(intake/pledges/update_states.py) from last_report_at, accepted_at and implementation_stage, and
counts them in the grouped COUNT of its state tabs. The indexes that COUNT reads (by state, and
by each filter column) end with those three columns, so it still reads an index alone; after
the unique id, they leave the order of each index as it was.
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

COVERING = ["review_state", "submitted_at", "id"]
UPDATE_COLUMNS = ["last_report_at", "accepted_at", "implementation_stage"]
INDEXES = {  # name: the columns before COVERING
    "ix_pledge_review_state_submitted_at": [],
    "ix_pledge_region": ["region"],
    "ix_pledge_assignee_id": ["assignee_id"],
    "ix_pledge_country_code": ["country_code"],
}


def rebuild(extra):
    for name, leading in INDEXES.items():
        op.drop_index(name, table_name="pledge")
        op.create_index(name, "pledge", [*leading, *COVERING, *extra])


def upgrade():
    rebuild(UPDATE_COLUMNS)


def downgrade():
    rebuild([])
