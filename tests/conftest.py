"""Fixtures: the app on a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL
says so) and a real Redis (embedded, or the server named by TEST_REDIS_URL)."""
import os
import secrets

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from intake import create_app
from intake.extensions import db
from intake.redis_connection import close_redis

from .helpers import ContactBrowser

TABLES_CHILD_FIRST = ("access_token", "co_pledging_city", "pledge_action_area", "pledge",
                      "reference_counter")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "intake.sqlite3")
        return
    # Our own schema on the shared server, dropped afterwards: runs never see each other.
    schema = "test_" + secrets.token_hex(6)
    plain_url = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in server_url else "?"
    yield f"{server_url}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    return str(tmp_path_factory.mktemp("instance"))


def make_app(database_url, instance_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("TEST_REDIS_URL") or None,
        "BASE_URL": "http://pledges.test",
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
def app(migrated_database, instance_path):
    app = make_app(migrated_database, instance_path)
    yield app
    with app.app_context():
        for table in TABLES_CHILD_FIRST:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        db.engine.dispose()
    close_redis(app)


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
