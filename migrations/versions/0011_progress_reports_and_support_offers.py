"""progress reports, support offers (matches) and their moves

Revision ID: 0011
Revises: 0010

A city reports progress on an accepted pledge (progress_report: a draft until sent); partners
offer support for a pledge in the public register (support_offer, with each dated move of the
match in support_offer_move). pledge.last_report_at, when the last report was sent, lets the
queue tell an update due, overdue or never received.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('progress_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=True),
    sa.Column('done', sa.Text(), nullable=True),
    sa.Column('results', sa.Text(), nullable=True),
    sa.Column('share_delivered', sa.Integer(), nullable=True),
    sa.Column('evidence_links', sa.JSON(), nullable=False),
    sa.Column('help_needed', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledge.id'], name=op.f('fk_progress_report_pledge_id_pledge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_report'))
    )
    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_report_pledge_id'), ['pledge_id'], unique=False)

    op.create_table('support_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('offer', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['coordinator.id'], name=op.f('fk_support_offer_partner_id_coordinator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledge.id'], name=op.f('fk_support_offer_pledge_id_pledge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_offer'))
    )
    with op.batch_alter_table('support_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_offer_contact_email'), ['contact_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_offer_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_offer_pledge_id'), ['pledge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_offer_state'), ['state'], unique=False)

    op.create_table('support_offer_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['coordinator.id'], name=op.f('fk_support_offer_move_actor_id_coordinator'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['offer_id'], ['support_offer.id'], name=op.f('fk_support_offer_move_offer_id_support_offer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_offer_move'))
    )
    with op.batch_alter_table('support_offer_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_offer_move_offer_id'), ['offer_id'], unique=False)

    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_report_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    # SQLite drops a column in place (3.35+): no table copy, which would reflect the pledge
    # table's expression index and warn.
    with op.batch_alter_table('pledge', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('last_report_at')

    with op.batch_alter_table('support_offer_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_offer_move_offer_id'))

    op.drop_table('support_offer_move')
    with op.batch_alter_table('support_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_offer_state'))
        batch_op.drop_index(batch_op.f('ix_support_offer_pledge_id'))
        batch_op.drop_index(batch_op.f('ix_support_offer_partner_id'))
        batch_op.drop_index(batch_op.f('ix_support_offer_contact_email'))

    op.drop_table('support_offer')
    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_report_pledge_id'))

    op.drop_table('progress_report')
