"""a pledge's steps kept as typed with "Save and come back later"

Revision ID: 0008
Revises: 0007

pledge.incomplete_steps holds, for each step saved before its answers were complete, the
answers exactly as typed (a date or an amount that does not parse has no column to go in).
The column is added and dropped in place, never by rebuilding the table: on SQLite a rebuild
would drop the search index's triggers (0003). SQLite drops a column in place since 3.35.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pledge', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('incomplete_steps', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('pledge', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('incomplete_steps')
