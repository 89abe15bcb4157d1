"""The worker command that `make run` and production start."""
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
    import time

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
