"""archive imports: the messages of a file that could not be read, counted and noted

Revision ID: 0019
Revises: 0018

A message of an old archive that cannot be read no longer stops its import: it is left out,
counted, and noted (its place in the file and why) for the import's page.
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("archive_import", sa.Column("left_out", sa.Integer(), nullable=False,
                                              server_default="0"))
    op.add_column("archive_import", sa.Column("notes", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("archive_import", "notes")
    op.drop_column("archive_import", "left_out")
