"""progress reports: kept as typed, sent once; notes and questions about a report

Revision ID: 0012
Revises: 0011

A draft report whose answers did not all pass their checks keeps them exactly as typed
(progress_report.typed); a pledge has at most one draft report (a partial unique index); the
form a report was sent from is named by a random key (progress_report.form_key), so a second
click on "Send" finds the report the first one sent. A coordinator's internal note or question
to the city may be about one report (note.progress_report_id, information_request.
progress_report_id).
"""
import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

DRAFT = sa.text("state = 'draft'")
LINKED = ('note', 'information_request')


@contextmanager
def copied_table(table):
    """SQLite adds a foreign key by copying the table; reflecting it reflects the pledge table it
    refers to, whose expression index SQLAlchemy cannot reflect (and says so). That index is
    not part of the copy: the warning is only noise here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based "
                                "index", sa.exc.SAWarning)
        with op.batch_alter_table(table, schema=None) as batch_op:
            yield batch_op


def upgrade():
    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('typed', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('form_key', sa.String(length=64), nullable=True))
        batch_op.create_index('uq_progress_report_one_draft', ['pledge_id'], unique=True,
                              postgresql_where=DRAFT, sqlite_where=DRAFT)
        batch_op.create_index(batch_op.f('ix_progress_report_form_key'), ['form_key'],
                              unique=False)
    for table in LINKED:
        with copied_table(table) as batch_op:
            batch_op.add_column(sa.Column('progress_report_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_progress_report_id_progress_report'),
                'progress_report', ['progress_report_id'], ['id'], ondelete='SET NULL')


def downgrade():
    for table in reversed(LINKED):
        with copied_table(table) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f'fk_{table}_progress_report_id_progress_report'),
                type_='foreignkey')
            batch_op.drop_column('progress_report_id')
    # SQLite drops a column in place (3.35+): no table copy.
    with op.batch_alter_table('progress_report', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_report_form_key'))
        batch_op.drop_index('uq_progress_report_one_draft')
        batch_op.drop_column('form_key')
        batch_op.drop_column('typed')
