"""The worker command that `make run` and production start."""
import time

from intake.cli import PeriodicLease, periodic_scheduler, periodic_tick
from intake.email.enqueue import email_queue

from .support.client import ContactBrowser, outbox_rows

CONTACT = "ana.souza@prefeitura.example"


def test_the_worker_command_drains_the_queue_and_sends(app, runner, mailbox):
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(mailbox.to(CONTACT)) == 1
    assert [row.status for row in outbox_rows(app)] == ["sent"]


def test_a_burst_also_sends_what_never_reached_the_queue(app, runner, mailbox):
    from intake.extensions import get_redis

    ContactBrowser(app.test_client()).complete_steps(upto="city")
    with app.app_context():
        get_redis().flushdb()  # the enqueue was lost
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(mailbox.to(CONTACT)) == 1


def test_a_retry_waits_in_rqs_scheduler_until_its_time(app, runner, mailbox):
    app.config["EMAIL_RETRY_DELAYS"] = (1,)
    mailbox.answers = ["451 4.7.1 Greylisted, come back in a second"]
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    [row] = outbox_rows(app)
    assert row.status == "pending" and mailbox.received == []
    time.sleep(1.5)
    app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 3600  # only the scheduler may bring it back
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert len(mailbox.to(CONTACT)) == 1
    assert [r.status for r in outbox_rows(app)] == ["sent"]


def test_of_two_workers_one_enqueues_the_periodic_jobs_and_the_other_takes_over(app):
    """Two workers started side by side (each with its scheduler and its lease): the periodic
    jobs are enqueued once; when the first one is gone, its lease runs out and the second
    enqueues them instead."""
    with app.app_context():
        queue = email_queue()
        first, second = (periodic_scheduler(app, queue.name) for _ in range(2))
        first_lease, second_lease = (PeriodicLease(s.connection, seconds=1)
                                     for s in (first, second))
        periodic_tick(first, first_lease)
        periodic_tick(second, second_lease)
        enqueued = sorted(job.func_name for job in queue.jobs)
        assert enqueued == ["intake.worker.dispatch_pending", "intake.worker.sweep_reminders"]
        periodic_tick(first, first_lease)  # renewed: still the first one's
        assert not second_lease.hold()
        queue.empty()
        time.sleep(1.1)  # the first worker was killed: nobody renews its lease
        periodic_tick(second, second_lease)
        assert sorted(job.func_name for job in queue.jobs) == enqueued
