"""The dispatcher hands to the queue only the emails that no job waits for: a backlog is not
doubled while it waits, and what Redis lost is found again."""
from datetime import datetime, timedelta, timezone

from rq.job import Job, JobStatus

from intake import worker
from intake.email.enqueue import email_queue, send_job_id
from intake.extensions import db, get_redis
from intake.models import OutboxEmail

from .support.client import ContactBrowser, drain_queue, outbox_rows

CONTACT = "ana.souza@prefeitura.example"


def waiting_jobs(app):
    with app.app_context():
        return email_queue().count


def test_the_dispatcher_run_while_jobs_wait_enqueues_nothing_new(app, mailbox):
    ContactBrowser(app.test_client()).send_in_one_go()
    assert waiting_jobs(app) == 3  # resume link, acknowledgement, coordinators' notice
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with app.app_context():
        assert worker.dispatch_pending() == 0
        assert worker.dispatch_pending() == 0
    assert waiting_jobs(app) == 3
    drain_queue(app)
    assert sorted(row.status for row in outbox_rows(app)) == ["sent", "sent", "skipped"]
    assert len(mailbox.received) == 2  # the acknowledgement and the coordinators' notice


def test_the_dispatcher_pages_through_rows_and_enqueues_only_those_redis_lost(app, mailbox,
                                                                             monkeypatch):
    for number in range(3):
        contact = ContactBrowser(app.test_client())
        contact.complete_steps(upto="city", answers={
            "city": {"focal_email": f"contact{number}@city.example"}})
    [lost, *kept] = [row.id for row in outbox_rows(app)]
    with app.app_context():
        Job.fetch(send_job_id(lost), connection=get_redis()).delete()  # Redis lost that one
    monkeypatch.setattr(worker, "DISPATCH_PAGE", 2)
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with app.app_context():
        assert worker.dispatch_pending() == 1
    drain_queue(app)
    assert {row.status for row in outbox_rows(app)} == {"sent"}
    assert sorted(message["To"] for message in mailbox.received) == [
        "contact0@city.example", "contact1@city.example", "contact2@city.example"]


def test_a_dispatcher_pass_with_redis_down_leaves_the_rows_for_the_next_pass(
        app, app_factory, mailbox):
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    with app.app_context():
        get_redis().flushdb()
    redis_down = app_factory(REDIS_URL="redis://127.0.0.1:1/0",
                             EMAIL_DISPATCH_GRACE_SECONDS=0)
    with redis_down.app_context():
        assert worker.dispatch_pending() == 0  # logged, not raised
    assert [row.status for row in outbox_rows(app)] == ["pending"]
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with app.app_context():
        assert worker.dispatch_pending() == 1
    drain_queue(app)
    assert len(mailbox.to(CONTACT)) == 1


def test_a_retry_planned_for_later_is_not_doubled_once_it_falls_due(app, mailbox, monkeypatch):
    mailbox.answers = ["451 4.3.0 Mailbox busy, try again later"]
    app.config["EMAIL_RETRY_DELAYS"] = (3600,)
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    drain_queue(app)
    [row] = outbox_rows(app)
    assert (row.status, row.attempts) == ("pending", 1)  # its retry waits in RQ's schedule
    in_two_hours = datetime.now(timezone.utc) + timedelta(hours=2)
    monkeypatch.setattr(worker, "utcnow", lambda: in_two_hours)
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with app.app_context():
        assert worker.dispatch_pending() == 0


def test_an_email_whose_worker_died_mid_send_is_enqueued_again_whatever_redis_says(
        app, mailbox):
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    [row] = outbox_rows(app)
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    with app.app_context():
        email = db.session.get(OutboxEmail, row.id)  # claimed by a worker killed since
        email.status, email.attempts, email.claimed_at = "sending", 1, long_ago
        db.session.commit()
        job = Job.fetch(send_job_id(row.id), connection=get_redis())
        job.set_status(JobStatus.STARTED)  # what Redis still says of the dead worker's job
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with app.app_context():
        assert worker.dispatch_pending() == 1
    drain_queue(app)
    assert [(r.status, r.attempts) for r in outbox_rows(app)] == [("sent", 2)]
    assert len(mailbox.to(CONTACT)) == 1
