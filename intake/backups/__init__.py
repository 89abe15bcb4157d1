"""Backups of the database, and their restore into an empty one: `flask --app wsgi backup
PATH` and `restore PATH` (commands.py), one command for both databases.

SQLite: a copy made with SQLite's online backup API (consistent while the app runs), restored
the same way. PostgreSQL: pg_dump's custom format of the app's schema (the first of its search
path, `public` unless DATABASE_URL says otherwise), restored with pg_restore into the target's
schema; when the two schemas are named differently, the dump passes through a scratch database
where its schema is renamed (pg_restore cannot rename one). The schema's Alembic version comes
along: `db upgrade` after a restore brings an older backup up to date."""
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

import psycopg
from sqlalchemy import inspect, text

from ..extensions import db


class BackupProblem(RuntimeError):
    """What stops a backup or a restore; the message says what to do."""


def backup(path):
    """Write a backup of the app's database to `path` (replaced if it exists)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(url.database, path)
    elif url.get_backend_name() == "postgresql":
        _pg_dump(_libpq_url(url), _current_schema(), path)
    else:
        raise BackupProblem(f"no backup for a {url.get_backend_name()} database")


def restore(path):
    """Restore the backup at `path` into the app's database, which must hold no table yet."""
    if not Path(path).is_file():
        raise BackupProblem(f"no backup at {path}")
    tables = inspect(db.engine).get_table_names()
    if tables:
        raise BackupProblem(
            f"the database already holds {len(tables)} table(s): restore into an empty one "
            "(a new SQLite file, or an empty PostgreSQL database or schema)")
    url = db.engine.url
    db.engine.dispose()  # the restore writes through connections of its own
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(path, url.database)
    elif url.get_backend_name() == "postgresql":
        _pg_restore(path, url, _current_schema())
    else:
        raise BackupProblem(f"no restore for a {url.get_backend_name()} database")


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_copy(source, target):
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as origin, \
            closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)
        # Delete mode in the copy: one file, whatever journal the original runs with.
        copy.execute("PRAGMA journal_mode=DELETE")


# --- PostgreSQL ----------------------------------------------------------------------------


def _current_schema():
    with db.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    if schema is None:
        raise BackupProblem("the schema of the search path does not exist: create it first")
    return schema


def _libpq_url(url, database=None):
    """The SQLAlchemy URL as libpq reads it (its `options`, e.g. a search path, kept)."""
    url = url.set(drivername="postgresql")
    if database:
        url = url.set(database=database, query={})
    return url.render_as_string(hide_password=False)


def _tool(name):
    found = shutil.which(name)
    if not found:
        raise BackupProblem(f"{name} is not installed (Debian: apt install postgresql-client; "
                            "its major version at least the server's)")
    return found


def _run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupProblem(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def _pg_dump(libpq_url, schema, path):
    _run([_tool("pg_dump"), f"--dbname={libpq_url}", "--format=custom", "--no-owner",
          "--no-privileges", f"--schema={schema}", f"--file={path}"])


def _schema_of_dump(path):
    listing = subprocess.run([_tool("pg_restore"), "--list", str(path)], capture_output=True,
                             text=True)
    if listing.returncode != 0:
        raise BackupProblem(f"not a backup of this app's PostgreSQL database: "
                            f"{listing.stderr.strip()}")
    schemas = set(re.findall(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) ", listing.stdout,
                             re.MULTILINE))
    if len(schemas) != 1:
        raise BackupProblem(f"the backup holds {len(schemas)} schemas; one expected")
    return schemas.pop(), listing.stdout


def _pg_restore(path, url, schema):
    dumped_schema, listing = _schema_of_dump(path)
    if dumped_schema == schema:
        _restore_into(path, listing, _libpq_url(url))
        return
    with tempfile.TemporaryDirectory() as folder:
        renamed = Path(folder) / "renamed.dump"
        _rename_schema(path, url, dumped_schema, schema, renamed)
        _restore_into(renamed, _schema_of_dump(renamed)[1], _libpq_url(url))


# A schema's dump leaves out the extensions it uses, which live in the database (migration
# 0005 puts unaccent in public): made first where the dump is restored.
EXTENSIONS = ("unaccent",)


def _restore_into(path, listing, libpq_url):
    """pg_restore, leaving out the dump's CREATE SCHEMA: the target's schema exists."""
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        for extension in EXTENSIONS:
            conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA public")
    kept = "\n".join(line for line in listing.splitlines()
                     if not re.match(r"^\d+; \d+ \d+ SCHEMA - ", line))
    with tempfile.NamedTemporaryFile("w", suffix=".list") as use_list:
        use_list.write(kept + "\n")
        use_list.flush()
        _run([_tool("pg_restore"), f"--dbname={libpq_url}", "--no-owner", "--no-privileges",
              "--exit-on-error", "--single-transaction", f"--use-list={use_list.name}",
              str(path)])


def _rename_schema(path, url, dumped_schema, schema, renamed):
    """Through a scratch database on the same server: restored there, renamed, dumped again."""
    scratch = "intake_restore_" + secrets.token_hex(4)
    admin = _libpq_url(url, database=url.database)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')
    try:
        scratch_url = _libpq_url(url, database=scratch)
        with psycopg.connect(scratch_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{dumped_schema}"')
        _restore_into(path, _schema_of_dump(path)[1], scratch_url)
        with psycopg.connect(scratch_url, autocommit=True) as conn:
            conn.execute(f'ALTER SCHEMA "{dumped_schema}" RENAME TO "{schema}"')
        _pg_dump(scratch_url, schema, renamed)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')

