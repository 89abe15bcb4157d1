"""the language of a coordinator's emails

Revision ID: 0017
Revises: 0016

Emails written to one coordinator (as a pledge's assignee) go out in the language chosen on
her account; an account that chose none reads English.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("coordinator") as batch:
        batch.add_column(sa.Column("language", sa.String(length=5), nullable=True,
                                   server_default="en"))


def downgrade():
    with op.batch_alter_table("coordinator") as batch:
        batch.drop_column("language")
