"""Email survives its dependencies failing: Redis down or flushed, SMTP refusing or silent,
a job run twice, a worker killed while sending."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from intake import worker
from intake.clock import as_utc
from intake.email import outbox
from intake.extensions import db, get_redis
from intake.models import EmailSuppression, OutboxEmail, Pledge

from .support.client import ContactBrowser, drain_queue, outbox_rows
from .support.servers import stop_group, worker_process

CONTACT = "ana.souza@prefeitura.example"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def start_draft(app):
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    [row] = outbox_rows(app, kind="resume_link")
    return row


def test_a_pledge_sent_while_redis_is_down_is_saved_and_its_email_goes_once_redis_is_back(
        app, app_factory, mailbox):
    redis_down = app_factory(REDIS_URL="redis://127.0.0.1:1/0")
    contact = ContactBrowser(redis_down.test_client())
    contact.complete_steps()
    response = contact.submit()
    assert response.status_code == 303
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        assert pledge.review_state == "submitted"
    assert {row.status for row in outbox_rows(app)} == {"pending"}
    drain_queue(app)
    assert mailbox.received == []  # nothing reached the queue
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with app.app_context():
        assert worker.dispatch_pending() == 3  # resume link, acknowledgement, coordinators
    drain_queue(app)
    # The acknowledgement and the coordinators' notice; the link to continue the draft, no
    # longer needed once the pledge was sent, is skipped.
    [acknowledgement] = mailbox.to(CONTACT)
    assert acknowledgement["Subject"].startswith("We received your pledge")
    assert len(mailbox.received) == 2
    assert {row.kind: row.status for row in outbox_rows(app)}["resume_link"] == "skipped"
    assert {row.status for row in outbox_rows(app)} == {"sent", "skipped"}


def test_an_email_lost_when_redis_was_flushed_is_dispatched_again(app, mailbox):
    start_draft(app)
    with app.app_context():
        get_redis().flushdb()
    drain_queue(app)
    assert mailbox.received == []
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with app.app_context():
        worker.dispatch_pending()
        worker.dispatch_pending()  # twice: still one email
    drain_queue(app)
    assert len(mailbox.to(CONTACT)) == 1


def test_a_temporary_refusal_is_retried_and_delivered_once(app, mailbox):
    mailbox.answers = ["451 4.3.0 Mailbox busy, try again later"]
    start_draft(app)
    drain_queue(app)
    assert len(mailbox.to(CONTACT)) == 1
    [row] = outbox_rows(app)
    assert row.status == "sent" and row.attempts == 2


def test_a_server_refusing_for_a_while_then_recovering_loses_no_email_and_sends_each_once(
        app, mailbox):
    mailbox.answers = ["421 4.3.2 Service shutting down", "451 4.3.0 Mailbox busy",
                       "421 4.7.0 Too many connections, try again later",
                       "451 4.4.5 Sending rate exceeded, slow down"]
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    ContactBrowser(app.test_client()).send_in_one_go(
        answers={"city": {"focal_email": "li.wei@city.example"}})
    drain_queue(app)  # retried at once (EMAIL_RETRY_DELAYS=(0,)), on a new connection after 421
    rows = [row for row in outbox_rows(app) if row.status != "skipped"]
    assert {row.status for row in rows} == {"sent"}
    assert sum(row.attempts for row in rows) == len(rows) + 4
    assert len(mailbox.received) == len(rows)  # every email once...
    assert len({m["Message-ID"] for m in mailbox.received}) == len(rows)  # ...each its own
    assert len(mailbox.to(CONTACT)) == 1  # a resume link
    # An acknowledgement; the resume link, no longer needed once the pledge was sent, skipped.
    assert len(mailbox.to("li.wei@city.example")) == 1
    assert [row.kind for row in outbox_rows(app, status="skipped")] == ["resume_link"]
    assert len(mailbox.to("coordinators@mayorsmechanism.example")) == 1


def test_a_permanent_refusal_fails_the_row_and_suppresses_the_address(app, mailbox):
    mailbox.answers = ["550 5.1.1 No such user here"]
    start_draft(app)
    drain_queue(app)
    assert mailbox.received == []
    [row] = outbox_rows(app)
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error.startswith("550")
    with app.app_context():
        assert db.session.get(EmailSuppression, (CONTACT, "all")) is not None
    visitor = ContactBrowser(app.test_client())
    visitor.get("/pledge/email-my-link")
    visitor.post("/pledge/email-my-link", {"email": CONTACT})
    drain_queue(app)
    assert mailbox.received == []
    assert [r.status for r in outbox_rows(app)] == ["failed", "suppressed"]


def test_an_smtp_server_that_never_answers_times_out_and_is_tried_later(app, mailbox):
    app.config.update(MAIL_TIMEOUT_SECONDS=1, EMAIL_RETRY_DELAYS=(3600,))
    mailbox.stall_seconds = 3
    start_draft(app)
    started = time.monotonic()
    drain_queue(app)
    assert time.monotonic() - started < 10
    [row] = outbox_rows(app)
    assert row.status == "pending" and row.attempts == 1
    assert "timed out" in row.last_error.lower()
    assert as_utc(row.next_attempt_at) > datetime.now(timezone.utc) + timedelta(minutes=50)


def test_the_retry_gives_up_after_the_last_attempt(app, mailbox):
    app.config["EMAIL_MAX_ATTEMPTS"] = 2
    mailbox.answers = ["451 busy"] * 5
    start_draft(app)
    drain_queue(app)
    [row] = outbox_rows(app)
    assert row.status == "failed" and row.attempts == 2 and mailbox.received == []


KILLABLE_SENDER = """
import sys
sys.path.insert(0, {root!r})
from tests.support.apps import make_app
from intake.worker import send_email
app = make_app({database!r}, {instance!r}, MAIL_PORT={port}, MAIL_TIMEOUT_SECONDS=60)
with app.app_context():
    send_email({email_id})
"""


def test_a_worker_killed_while_sending_leaves_the_row_to_be_sent_again(
        app, migrated_database, instance_path, smtp_server, mailbox):
    row = start_draft(app)
    mailbox.stall_seconds = 30
    script = KILLABLE_SENDER.format(root=str(PROJECT_ROOT), database=migrated_database,
                                    instance=instance_path, port=smtp_server.port,
                                    email_id=row.id)
    sender = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        assert wait_for_status(app, row.id, "sending"), "the worker never claimed the row"
        assert mailbox.stalling.wait(10), "the message never reached the mail server"
    finally:
        os.killpg(sender.pid, signal.SIGKILL)
        sender.wait()
    [stuck] = outbox_rows(app)
    assert stuck.status == "sending"
    mailbox.stall_seconds = 0
    later = datetime.now(timezone.utc) + timedelta(
        seconds=app.config["EMAIL_STUCK_AFTER_SECONDS"] + 1)
    with app.app_context():
        assert outbox.rescue_stuck(now=later) == (frozenset({stuck.id}), 0)
        assert outbox.rescue_stuck(now=later) == (frozenset(), 0)
        db.session.commit()  # as the dispatcher's job does
        app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
        worker.dispatch_pending()
    drain_queue(app)
    [sent] = outbox_rows(app)
    assert sent.status == "sent" and sent.attempts == 2
    [message] = mailbox.to(CONTACT)
    assert message["Message-ID"] == row.message_id  # a receiver can drop a duplicate


def test_a_worker_process_killed_while_sending_is_replaced_and_the_email_goes_once(
        app, migrated_database, instance_path, smtp_server, mailbox):
    mailbox.stall_seconds = 30
    settings = {"MAIL_PORT": smtp_server.port, "MAIL_TIMEOUT_SECONDS": 60,
                "EMAIL_STUCK_AFTER_SECONDS": 1}
    with worker_process(migrated_database, instance_path, **settings) as first:
        row = start_draft(app)
        assert wait_for_status(app, row.id, "sending"), "the worker never claimed the row"
        assert mailbox.stalling.wait(10), "the message never reached the mail server"
        stop_group(first, signal.SIGKILL)
    mailbox.stall_seconds = 0
    with worker_process(migrated_database, instance_path, **settings):
        assert wait_for_status(app, row.id, "sent"), "the new worker never sent it"
        time.sleep(1.5)  # another round of its dispatcher: nothing goes twice
    [sent] = outbox_rows(app)
    assert sent.status == "sent" and sent.attempts == 2
    [message] = mailbox.to(CONTACT)
    assert message["Message-ID"] == row.message_id


def wait_for_status(app, email_id, status, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            current = db.session.scalar(select(OutboxEmail.status)
                                        .where(OutboxEmail.id == email_id))
            db.session.rollback()
        if current == status:
            return True
        time.sleep(0.1)
    return False


def test_an_smtp_server_that_refuses_connections_is_tried_later(app, app_factory, mailbox):
    refused = app_factory(MAIL_PORT=1, EMAIL_RETRY_DELAYS=(3600,))  # nothing listens there
    start_draft(app)
    drain_queue(refused)
    [row] = outbox_rows(app)
    assert row.status == "pending" and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
