"""coordinator sessions kept on the server; sign-in failures move to Redis

Revision ID: 0010
Revises: 0009

A signed-in browser is a row of coordinator_session (only the hash of its id is stored), so
signing out ends that session, and a password change or a deactivation ends the account's: the
account-wide session_token goes. Failed sign-ins are counted in Redis per guesser (address and
IP), per address and per IP (accounts/failures.py): the counters on the account's row go.
Everyone signed in before this migration signs in again.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coordinator_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=30), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinator.id'], name=op.f('fk_coordinator_session_coordinator_id_coordinator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coordinator_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_coordinator_session_token_hash'))
    )
    with op.batch_alter_table('coordinator_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordinator_session_coordinator_id'), ['coordinator_id'], unique=False)

    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.drop_column('session_token')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('last_failed_login_at')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_failed_login_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        # Any value ends the sessions of the old scheme; every account signs in again.
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=False, server_default=''))

    with op.batch_alter_table('coordinator_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordinator_session_coordinator_id'))
    op.drop_table('coordinator_session')
