"""A worker with a backlog keeps one SMTP connection open instead of opening one per email,
and never reuses a connection it cannot trust."""
from flask_mail import Message

from intake.email import smtp
from intake.worker import send_email

from .support.client import ContactBrowser, drain_queue, outbox_rows


def start_drafts(app, count):
    for number in range(count):
        ContactBrowser(app.test_client()).answer(
            "city", {"focal_email": f"focal{number}@city{number}.example"})


def a_message(number):
    return Message(subject=f"Message {number}", recipients=["someone@city.example"],
                   body="Hello", sender="pledges@test.example")


def test_a_worker_with_a_backlog_sends_it_over_one_connection_then_says_quit(app, mailbox):
    start_drafts(app, 3)
    drain_queue(app)
    assert len(mailbox.received) == 3
    assert len(mailbox.sessions) == 1
    assert mailbox.quits == 1  # the queue is empty: the connection is closed politely


def test_a_refused_email_drops_the_connection_and_the_rest_still_go_out_once(app, mailbox):
    mailbox.answers = ["451 4.3.0 Mailbox busy, try again later"]
    start_drafts(app, 2)
    drain_queue(app)
    assert sorted(m["To"] for m in mailbox.received) == ["focal0@city0.example",
                                                          "focal1@city1.example"]
    assert [row.status for row in outbox_rows(app)] == ["sent", "sent"]
    assert len(mailbox.sessions) == 2  # the refused dialogue was not trusted again
    assert mailbox.quits == 1


def test_a_connection_the_server_closed_while_kept_is_replaced_before_sending(
        app, mailbox, smtp_server):
    with app.app_context():
        smtp.deliver(a_message(1), keep_open=True)
        smtp_server.hang_up_on_everyone()
        smtp.deliver(a_message(2))
    assert [m["Subject"] for m in mailbox.received] == ["Message 1", "Message 2"]
    assert len(mailbox.sessions) == 2
    assert mailbox.quits == 1


def test_a_connection_kept_too_long_is_closed_and_a_new_one_opened(app, mailbox, monkeypatch):
    monkeypatch.setattr(smtp, "KEPT_CONNECTION_IDLE_SECONDS", 0)
    with app.app_context():
        smtp.deliver(a_message(1), keep_open=True)
        smtp.deliver(a_message(2))
    assert len(mailbox.received) == 2
    assert len(mailbox.sessions) == 2
    assert mailbox.quits == 2


def test_a_connection_kept_for_another_mail_server_is_not_used(app, app_factory, mailbox):
    other = app_factory()  # its own Flask-Mail setup, even if it points at the same server
    with app.app_context():
        smtp.deliver(a_message(1), keep_open=True)
    with other.app_context():
        smtp.deliver(a_message(2))
    assert len(mailbox.received) == 2
    assert len(mailbox.sessions) == 2
    assert mailbox.quits == 2


def test_an_email_sent_outside_a_worker_closes_its_connection(app, mailbox):
    start_drafts(app, 1)
    [row] = outbox_rows(app)
    with app.app_context():
        assert send_email(row.id) == "sent"
    assert mailbox.quits == 1 and len(mailbox.sessions) == 1
