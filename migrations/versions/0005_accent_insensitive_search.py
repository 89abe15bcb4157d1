"""accent-insensitive search on PostgreSQL

Revision ID: 0005
Revises: 0004

SQLite's search index already folds accents (FTS5, unicode61 remove_diacritics 2). On
PostgreSQL the index now reads its text through unaccent, wrapped in an IMMUTABLE function so
that an index may use it; the queue's search folds its words through the same function.
"""
from alembic import op
from sqlalchemy.exc import IntegrityError

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COLUMNS = ("coalesce(city, '') || ' ' || coalesce(title, '') || ' ' || coalesce(summary, '') "
           "|| ' ' || coalesce(commitment, '')")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = unaccent_schema()
    # The extension is database-wide: installed in public once, it outlives any one schema.
    op.execute(f"""CREATE FUNCTION pledge_search_fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT "{schema}".unaccent('"{schema}".unaccent'::regdictionary, $1) $$""")
    op.execute("DROP INDEX IF EXISTS ix_pledge_search")
    op.execute(f"CREATE INDEX ix_pledge_search ON pledge USING gin "
               f"(to_tsvector('simple', pledge_search_fold({COLUMNS})))")


def unaccent_schema():
    """The schema of the unaccent extension, installed in public if it is not there yet."""
    bind = op.get_bind()
    find = ("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'")
    schema = bind.exec_driver_sql(find).scalar()
    if schema is None:
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        except IntegrityError:  # a migration of another schema, at the same moment, made it
            pass
        schema = bind.exec_driver_sql(find).scalar()
    return schema


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_pledge_search")
    op.execute(f"CREATE INDEX ix_pledge_search ON pledge USING gin (to_tsvector('simple', "
               f"{COLUMNS}))")
    op.execute("DROP FUNCTION IF EXISTS pledge_search_fold(text)")
