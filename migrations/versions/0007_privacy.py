"""when a pledge's contact data was erased (on request, or by the retention sweep)

Revision ID: 0007
Revises: 0006

A plain ADD COLUMN and DROP COLUMN, outside batch mode: on SQLite a batch that rebuilt the
pledge table would drop the search index's triggers (see 0003), and SQLite has dropped columns
in place since 3.35.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('pledge', sa.Column('contact_erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('pledge', 'contact_erased_at')
