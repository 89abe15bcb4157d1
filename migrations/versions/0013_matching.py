"""the city's answer to a support offer: asked, agreed or declined

Revision ID: 0013
Revises: 0012

A partner's offer is introduced (each side given the other's contact) only once the city agreed
to share its contact with that partner, through its private status page: the coordinators ask
it (city_asked_at), and it agrees (city_consented_at) or declines (city_declined_at, the offer
then closes).
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

COLUMNS = ('city_asked_at', 'city_consented_at', 'city_declined_at')


def upgrade():
    with op.batch_alter_table('support_offer', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('support_offer', schema=None, recreate='never') as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
