"""A dependency restarted under the app: PostgreSQL while a contact sends a pledge, Redis
(and everything it held) while reminders wait to go. No pledge is lost and every email goes
once. The servers restarted are the tests' own (tests/support/servers.py), never the run's."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from intake.clock import as_utc
from intake.extensions import db, get_redis
from intake.models import OutboxEmail, Pledge
from intake.pledges import submission

from .support.apps import TABLES_CHILD_FIRST, make_app, migrate
from .support.client import ContactBrowser, drain_queue, outbox_rows
from .support.servers import worker_process

CONTACT = "ana.souza@prefeitura.example"
COORDINATORS = "coordinators@mayorsmechanism.example"
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def restartable_database(postgres_cluster, instance_path):
    url = postgres_cluster.create_database("intake")
    migrate(make_app(url, instance_path))
    return url


@pytest.fixture
def restartable_app(app, app_factory, restartable_database):
    """The app on the cluster the test restarts (the run's Redis and SMTP server); its rows
    are gone afterwards, as the `app` fixture (asked for its Redis flush) does for its own."""
    # Every connection is tried before use: a restart between two pages is then unseen
    # (the default tries only one idle for DATABASE_POOL_PING_IDLE_SECONDS).
    made = app_factory(database_url=restartable_database, DATABASE_POOL_PING_IDLE_SECONDS=0)
    yield made
    with made.app_context():
        for table in TABLES_CHILD_FIRST:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        db.engine.dispose()


def sent_pledges(app):
    with app.app_context():
        pledges = db.session.scalars(select(Pledge)).all()
        return [(p.review_state, p.reference) for p in pledges]


def acknowledgements(mailbox):
    return [m for m in mailbox.to(CONTACT) if "We received" in m["Subject"]]


def test_postgresql_restarted_while_a_contact_sends_shows_an_error_and_sending_again_works(
        restartable_app, postgres_cluster, mailbox, monkeypatch):
    contact = ContactBrowser(restartable_app.test_client())
    contact.complete_steps()
    original = submission.assign_reference

    def restart_midway(*args, **kwargs):  # the pledge is claimed, its reference not yet taken
        postgres_cluster.restart()
        return original(*args, **kwargs)

    monkeypatch.setattr(submission, "assign_reference", restart_midway)
    response = contact.submit()
    assert response.status_code == 503
    assert "The service is unavailable for a moment" in contact.text
    assert "Please try again in a few minutes" in contact.text
    assert sent_pledges(restartable_app) == [("draft", None)]  # nothing half-sent

    monkeypatch.setattr(submission, "assign_reference", original)
    response = contact.submit()  # the contact tries again
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge/confirmation")
    [(state, reference)] = sent_pledges(restartable_app)
    assert state == "submitted" and reference.startswith("CTA-")
    drain_queue(restartable_app)
    [ack] = acknowledgements(mailbox)
    assert reference in ack["Subject"]
    assert len(mailbox.to(COORDINATORS)) == 1
    # The draft's link, no longer needed once the pledge was sent, is skipped.
    assert {row.kind: row.status for row in outbox_rows(restartable_app)} == {
        "resume_link": "skipped", "acknowledgement": "sent", "coordinator_new_pledge": "sent"}


def test_postgresql_restarted_while_a_contact_reads_the_last_page_loses_nothing(
        restartable_app, postgres_cluster, mailbox):
    contact = ContactBrowser(restartable_app.test_client())
    contact.complete_steps()
    contact.get("/pledge/review")
    postgres_cluster.restart()  # every pooled connection is now dead
    response = contact.post("/pledge/review", {"consent_contact": "y", "consent_publish": "y"})
    assert response.status_code == 303, contact.text[:2000]
    [(state, _reference)] = sent_pledges(restartable_app)
    assert state == "submitted"
    drain_queue(restartable_app)
    assert len(acknowledgements(mailbox)) == 1


CONTACTS = ("ana.souza@prefeitura.example", "li.wei@city.example", "amara.diallo@ville.example")


def reminders_sweep(app, moment):
    result = app.test_cli_runner().invoke(args=["reminders", "sweep", "--now",
                                                moment.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def worker_burst(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output


def test_redis_restarted_empty_loses_the_waiting_reminders_and_the_dispatcher_sends_each_once(
        app, app_factory, redis_server, mailbox):
    # The greylisted link's retry waits 3 s: long enough not to come due while the first
    # sends are still being drained on a busy machine, short enough to wait for below.
    own_redis = app_factory(REDIS_URL=redis_server.url, EMAIL_RETRY_DELAYS=(3,))
    for address in CONTACTS:
        ContactBrowser(own_redis.test_client()).complete_steps(
            upto="areas", answers={"city": {"focal_email": address}})
    mailbox.answers = ["451 4.7.1 Greylisted, come back in a second"]
    drain_queue(own_redis)  # two resume links go; the first waits in RQ's scheduled registry
    assert len(mailbox.received) == 2
    with own_redis.app_context():
        started = as_utc(db.session.scalar(select(Pledge.last_activity_at).order_by(Pledge.id)))
    assert reminders_sweep(own_redis, started + 3 * DAY + timedelta(hours=1)).startswith(
        "3 reminder")
    with own_redis.app_context():
        assert get_redis().dbsize() > 0  # the three reminders' jobs, and the retry, wait there

    redis_server.restart()  # without its data, as after a crash with no dump...
    with own_redis.app_context():
        get_redis().flushall()  # ...or an operator's FLUSHALL
        assert get_redis().dbsize() == 0
    assert reminders_sweep(own_redis, started + 3 * DAY + timedelta(hours=1)).startswith(
        "0 reminder")  # the database knows they were queued: the sweep adds none
    wait_until_due(own_redis)
    worker_burst(own_redis)  # its dispatcher finds the pending rows again
    worker_burst(own_redis)  # and a second run sends nothing twice

    for address in CONTACTS:
        subjects = [m["Subject"] for m in mailbox.to(address)]
        reminders = [subject for subject in subjects if "waiting for you" in subject]
        assert len(subjects) == 2 and len(reminders) == 1, (address, subjects)  # link, reminder
    assert len(mailbox.received) == 6
    assert {row.status for row in outbox_rows(own_redis)} == {"sent"}


def wait_until_due(app):
    """The dispatcher takes a pending row once its next attempt is due (and its grace past)."""
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.app_context():
            waiting = db.session.scalar(select(func.max(OutboxEmail.next_attempt_at)))
            db.session.rollback()
        if as_utc(waiting) <= datetime.now(timezone.utc):
            return
        time.sleep(0.1)
    raise AssertionError("a retry is still not due after 10 s")


def test_a_running_worker_outlives_a_redis_restart_and_its_dispatcher_sends_the_lost_retry(
        app, app_factory, migrated_database, instance_path, redis_server, smtp_server,
        mailbox):
    settings = {"REDIS_URL": redis_server.url, "MAIL_PORT": smtp_server.port,
                "EMAIL_RETRY_DELAYS": (2,)}
    own_redis = app_factory(**settings)
    mailbox.answers = ["451 4.7.1 Greylisted, come back in two seconds"]
    with worker_process(migrated_database, instance_path, **settings):
        ContactBrowser(own_redis.test_client()).complete_steps(upto="city")
        [row] = outbox_rows(own_redis)
        assert wait_for(lambda: outbox_rows(own_redis)[0].attempts == 1), "never tried"
        redis_server.restart()  # the retry waiting in RQ's scheduled registry is gone
        ContactBrowser(own_redis.test_client()).complete_steps(
            upto="city", answers={"city": {"focal_email": CONTACTS[1]}})
        assert wait_for(lambda: len(mailbox.received) == 2, seconds=15), mailbox.received
        time.sleep(1.5)  # another round of the dispatcher: nothing goes twice
    assert len(mailbox.to(CONTACT)) == 1 and len(mailbox.to(CONTACTS[1])) == 1
    assert [r.status for r in outbox_rows(own_redis)] == ["sent", "sent"]
    assert outbox_rows(own_redis)[0].message_id == row.message_id


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
