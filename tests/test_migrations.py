"""The migrations build the schema on an empty database, and can be walked back and forth."""
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from intake.extensions import db

from .support.apps import make_app


def table_names():
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def newest_revision():
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def test_the_migrations_go_down_to_nothing_and_back_up(empty_database, instance_path):
    app = make_app(empty_database, instance_path)
    with app.app_context():
        upgrade()
        built = table_names()
        assert {"pledge", "outbox_email", "coordinator", "audit_entry"} <= built
        downgrade(revision="base")
        assert not table_names() & built
        upgrade()
        assert table_names() == built
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == newest_revision()
        db.session.remove()
        db.engine.dispose()
