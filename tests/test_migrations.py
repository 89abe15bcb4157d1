"""The migrations build the schema on an empty database, and can be walked back and forth."""
import json
import threading
import time
from datetime import date
from decimal import Decimal

import psycopg
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, inspect, text

from intake.extensions import db
from intake.models import Pledge

from .support.apps import make_app, migrate


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


# A draft half-way through the old single pledge page, kept as typed with "Save and come back
# later": its typed answers go to the pages that now ask them.
TYPED_OLD_STEP_THREE = {"title": ["Welcome centre"], "target_groups": ["refugees"],
                        "start_date": ["next spring"], "expected_results": [""],
                        "budget_amount": ["about 250k"]}


def drafts_by_city():
    rows = db.session.execute(
        text("SELECT city, furthest_step, incomplete_steps FROM pledge")).all()
    db.session.rollback()  # ends the read, so that the next migration may alter the table
    return {city: (furthest, json.loads(incomplete) if isinstance(incomplete, str) else incomplete)
            for city, furthest, incomplete in rows}


def test_drafts_saved_on_the_single_pledge_page_move_to_its_four_pages_and_back(
        empty_database, instance_path):
    app = make_app(empty_database, instance_path)
    with app.app_context():
        upgrade()
        downgrade(revision="0015")  # the drafts of the single pledge page
        db.session.execute(insert(Pledge), [
            dict(city="At areas", furthest_step=2),
            dict(city="Saved the pledge", furthest_step=3, title="Welcome centre",
                   target_groups=["refugees"], start_date=date(2027, 1, 15), ongoing=True,
                   expected_results="Results", progress_measures="Visits",
                   funding_status="partial", budget_amount=Decimal("250000"),
                   budget_currency="BRL"),
            dict(city="Saved alignment", furthest_step=4),
            dict(city="Kept the pledge as typed", furthest_step=2,
                   incomplete_steps={"pledge": TYPED_OLD_STEP_THREE}),
        ])
        db.session.commit()

        upgrade()
        drafts = drafts_by_city()
        assert drafts["At areas"] == (2, None)
        assert drafts["Saved the pledge"] == (6, None)  # every pledge page saved
        assert drafts["Saved alignment"] == (7, None)  # at check your answers
        assert drafts["Kept the pledge as typed"] == (2, {
            "commitment": {"title": ["Welcome centre"], "target_groups": ["refugees"]},
            "dates": {"start_date": ["next spring"]},
            "results": {"expected_results": [""]},
            "budget": {"budget_amount": ["about 250k"]},
        })

        # A draft of the new pages: the first page kept as typed, the later ones not opened.
        db.session.execute(text("UPDATE pledge SET furthest_step = 4 WHERE city = 'At areas'"))
        db.session.execute(insert(Pledge), [dict(
            city="Kept a page as typed", furthest_step=3, title="Welcome centre",
            summary="A centre", ongoing=False,
            incomplete_steps={"dates": {"start_date": ["next spring"]}})])
        db.session.commit()

        downgrade(revision="0015")
        drafts = drafts_by_city()
        assert drafts["At areas"] == (2, None)  # two pledge pages of four: the old step 3 is not
        assert drafts["Saved the pledge"] == (3, None)
        assert drafts["Saved alignment"] == (4, None)
        assert drafts["Kept the pledge as typed"] == (2, {"pledge": TYPED_OLD_STEP_THREE})
        furthest, kept = drafts["Kept a page as typed"]
        assert furthest == 2
        assert kept["pledge"]["start_date"] == ["next spring"]  # as typed
        assert kept["pledge"]["title"] == ["Welcome centre"]  # from its complete page
        assert kept["pledge"]["summary"] == ["A centre"] and "ongoing" not in kept["pledge"]

        upgrade()
        db.session.remove()
        db.engine.dispose()


def waiting_on_a_lock(url, seconds=30):
    """True once some other session of the database waits for a lock (within `seconds`)."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            if watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                               "'Lock' AND pid <> pg_backend_pid()").fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


def test_a_migration_racing_another_to_install_unaccent_on_a_new_database_succeeds(
        postgres_cluster, instance_path):
    """Two schemas of one new PostgreSQL database migrated at once (two deployments, the
    suite's parallel processes): both see no unaccent extension and both install it. The one
    that loses the race goes on with the extension the other made."""
    url = postgres_cluster.create_database("racing")
    other_migration = psycopg.connect(url)
    other_migration.execute("CREATE EXTENSION unaccent SCHEMA public")  # not committed yet
    failures = []

    def this_migration():
        try:
            migrate(make_app(url, instance_path))
        except Exception as error:
            failures.append(error)

    migrating = threading.Thread(target=this_migration)
    migrating.start()
    try:
        assert waiting_on_a_lock(url), "the migration never reached the extension"
    finally:
        other_migration.commit()
        other_migration.close()
        migrating.join(timeout=60)
    assert failures == []
    with psycopg.connect(url) as conn:
        folded = conn.execute("SELECT pledge_search_fold('São Paulo')").fetchone()[0]
    assert folded == "Sao Paulo"
