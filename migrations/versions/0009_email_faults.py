"""whose fault an email's last failure was, and when its last attempt ended

Revision ID: 0009
Revises: 0008

`fault` (recipient, setup, temporary, message: intake/email/faults.py) tells a refusal of the
recipient from a fault of our own mail setup; `last_attempt_at`, indexed, lets /healthz read
the newest outcome at once (the email state is "degraded" while it is a setup fault). Rows
written before have neither: they count as no attempt.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fault', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_email_last_attempt_at'), ['last_attempt_at'], unique=False)


def downgrade():
    # SQLite drops a column in place (3.35+): no table copy, which would reflect the pledge
    # table's expression index and warn.
    with op.batch_alter_table('outbox_email', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_email_last_attempt_at'))
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('fault')
