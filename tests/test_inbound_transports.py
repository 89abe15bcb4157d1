"""A city's email reaches the app by the IMAP folder it polls (a real Dovecot) or by its own
LMTP listener, and is stored once whichever way, however often it comes."""
import contextlib
import smtplib
import threading
import time
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from intake import cli, worker
from intake.extensions import db
from intake.inbound import imap
from intake.inbound.listener import LmtpListener
from intake.models import InboundMessage, MailboxState

from .support.inbound import nested_too_deep
from .support.smtp import free_port

UNREACHABLE_DATABASE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
INBOUND = "pledges@mayorsmechanism.example"


def a_reply(number=1, subject="Re: your pledge CTA-2026-0001"):
    message = EmailMessage()
    message["From"] = "Ana Souza <ana.souza@prefeitura.example>"
    message["To"] = INBOUND
    message["Subject"] = subject
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 -0300"
    message["Message-ID"] = f"<reply-{number}@prefeitura.example>"
    message.set_content(f"Olá, here is answer number {number}.")
    return message.as_bytes()


def stored_texts(app):
    with app.app_context():
        return sorted(text.strip() for text in db.session.scalars(select(InboundMessage.text_body)))


def stored_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InboundMessage))


def poll(app, url):
    with app.app_context():
        result = imap.poll(url)
        db.session.remove()
        return result


@pytest.fixture
def listener(app):
    app.config["INBOUND_ADDRESS"] = INBOUND
    started = LmtpListener(app, port=free_port())
    started.start()
    yield started
    started.stop()


def deliver(listener, raw, to=INBOUND):
    with smtplib.LMTP(listener.hostname, listener.port, timeout=10) as client:
        return client.sendmail("ana.souza@prefeitura.example", [to], raw)


def test_a_reply_in_the_inbox_polled_twice_is_stored_once_and_marked_read(app, imap_mailbox):
    imap_mailbox.append(a_reply())
    first = poll(app, imap_mailbox.url())
    again = poll(app, imap_mailbox.url())
    assert (first.read, first.new, first.error) == (1, 1, None)
    assert (again.read, again.new, again.error) == (0, 0, None)
    assert stored_count(app) == 1
    flags = imap_mailbox.flags()
    assert len(flags) == 1 and r"\Seen" in flags[0]  # read, never deleted


def test_a_message_that_comes_by_imap_and_by_lmtp_is_stored_once(app, imap_mailbox, listener):
    deliver(listener, a_reply())
    imap_mailbox.append(a_reply())
    result = poll(app, imap_mailbox.url())
    assert (result.read, result.new) == (1, 0)
    assert stored_count(app) == 1
    with app.app_context():
        assert db.session.scalars(select(InboundMessage.via)).all() == ["lmtp"]


def test_messages_that_arrive_after_a_poll_are_read_by_the_next_one(app, imap_mailbox):
    imap_mailbox.append(a_reply(1))
    poll(app, imap_mailbox.url())
    imap_mailbox.append_many([a_reply(2), a_reply(3)])
    result = poll(app, imap_mailbox.url())
    assert (result.read, result.new) == (2, 2)
    assert stored_texts(app) == [f"Olá, here is answer number {n}." for n in (1, 2, 3)]
    with app.app_context():
        last_uid = db.session.scalars(select(MailboxState.last_uid)).one()
    assert last_uid == imap_mailbox.uids()[-1]


def test_a_folder_made_anew_is_read_from_its_first_message_again(app, imap_mailbox):
    imap_mailbox.create("Replies")
    imap_mailbox.append_many([a_reply(1), a_reply(2)], folder="Replies")
    poll(app, imap_mailbox.url("Replies"))
    with app.app_context():
        before = db.session.scalars(select(MailboxState)).one().uidvalidity
    imap_mailbox.recreate("Replies")  # a new UIDVALIDITY: its UIDs start from 1 again
    imap_mailbox.append(a_reply(3), folder="Replies")
    result = poll(app, imap_mailbox.url("Replies"))
    assert (result.read, result.new) == (1, 1)
    assert stored_count(app) == 3
    with app.app_context():
        state = db.session.scalars(select(MailboxState)).one()
        assert (state.last_uid, state.uidvalidity != before) == (1, True)


class WorkerKilled(BaseException):
    """The worker's process ending mid-batch: after some messages, before the commit."""


def test_a_poll_interrupted_mid_batch_reads_that_batch_again_and_stores_each_message_once(
        app, imap_mailbox, monkeypatch):
    monkeypatch.setattr(imap, "FETCH_BATCH", 3)
    imap_mailbox.append_many([a_reply(n) for n in range(1, 8)])  # batches of 3, 3 and 1
    batches_read, receive_batch = [], imap.receive_batch

    def killed_in_the_second_batch(raws, via, **options):
        stored = receive_batch(raws, via, **options)  # stored in the session, not committed
        batches_read.append(len(raws))
        if len(batches_read) == 2:
            raise WorkerKilled
        return stored

    monkeypatch.setattr(imap, "receive_batch", killed_in_the_second_batch)
    with app.app_context(), pytest.raises(WorkerKilled):
        imap.poll(imap_mailbox.url())
    assert stored_count(app) == 3  # the first batch, committed with its last UID

    monkeypatch.undo()
    monkeypatch.setattr(imap, "FETCH_BATCH", 3)
    result = poll(app, imap_mailbox.url())
    assert (result.read, result.new) == (4, 4)  # the interrupted batch again, then the last
    assert stored_texts(app) == [f"Olá, here is answer number {n}." for n in range(1, 8)]
    assert all(r"\Seen" in flags for flags in imap_mailbox.flags())


def test_the_same_message_twice_in_one_batch_is_stored_once(app, imap_mailbox):
    imap_mailbox.append_many([a_reply(1), a_reply(2), a_reply(1)])  # delivered twice
    result = poll(app, imap_mailbox.url())
    assert (result.read, result.new) == (3, 2)
    assert stored_count(app) == 2


def test_a_message_that_cannot_be_read_is_logged_and_the_poll_reads_on(app, imap_mailbox,
                                                                        caplog):
    imap_mailbox.append_many([nested_too_deep("deep@broken.example"), a_reply(2)])
    broken_uid = imap_mailbox.uids()[0]
    result = poll(app, imap_mailbox.url())
    assert (result.read, result.new, result.error) == (1, 1, None)
    assert stored_texts(app) == ["Olá, here is answer number 2."]
    assert f"the message of UID {broken_uid} could not be read and was not stored" in caplog.text
    assert len(imap_mailbox.uids()) == 2  # left in the folder, for a person to read


def test_a_wrong_password_is_reported_on_the_health_check_not_raised(app, imap_mailbox, caplog):
    imap_mailbox.append(a_reply())
    app.config["IMAP_URL"] = imap_mailbox.url(password="not-the-password")
    result = poll(app, app.config["IMAP_URL"])
    assert result.error.startswith("the IMAP server refused")
    assert "the IMAP folder could not be read" in caplog.text
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "degraded", "database": "ok", "redis": "ok",
                                 "email": "ok", "inbound": "degraded"}
    app.config["IMAP_URL"] = imap_mailbox.url()  # the password put right
    runner = app.test_cli_runner()
    outcome = runner.invoke(args=["inbound", "poll"])
    assert outcome.exit_code == 0 and "1 message(s) read, 1 new" in outcome.output
    assert app.test_client().get("/healthz").get_json()["inbound"] == "ok"


def scheduled_jobs(app, monkeypatch):
    """What the worker's periodic scheduler enqueues, and when: {job name: {"interval": s}}."""
    scheduler = cli.periodic_scheduler(app, "intake-emails")
    scheduler.connection.close()
    return {job.func.__name__: {"interval": job.interval} if job.interval else {"cron": job.cron}
            for job in scheduler.get_jobs()}


def test_the_worker_reads_the_folder_on_its_schedule_once_it_is_set(app, imap_mailbox,
                                                                      monkeypatch):
    assert "poll_inbound" not in scheduled_jobs(app, monkeypatch)
    app.config.update(IMAP_URL=imap_mailbox.url(), INBOUND_POLL_SECONDS=90)
    assert scheduled_jobs(app, monkeypatch)["poll_inbound"] == {"interval": 90}
    imap_mailbox.append(a_reply())
    with app.app_context():
        assert worker.poll_inbound() == "1 read, 1 new"
    assert stored_count(app) == 1


def test_an_imap_server_that_is_down_is_reported_by_the_poll_command(app):
    app.config["IMAP_URL"] = f"imap://someone:secret@127.0.0.1:{free_port()}/INBOX"
    outcome = app.test_cli_runner().invoke(args=["inbound", "poll"])
    assert outcome.exit_code == 1
    assert "the IMAP server cannot be reached" in outcome.output
    assert stored_count(app) == 0


@contextlib.contextmanager
def watcher_of(app, imap_mailbox):
    """The folder watched in a thread, with only IDLE quick enough to see a message in time
    (polls a minute apart); stopped at the end, which it must be within 10 seconds."""
    app.config["INBOUND_POLL_SECONDS"] = 60
    stop = threading.Event()

    def watch():
        with app.app_context():
            imap.watch(imap_mailbox.url(), stop=stop)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    yield
    stop.set()
    imap_mailbox.append(a_reply(99))  # wakes the IDLE up, so that the watcher sees the stop
    watcher.join(10)
    assert not watcher.is_alive()


def wait_for_a_stored_message(app, seconds=10):
    deadline = time.monotonic() + seconds
    while stored_count(app) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)


def test_watching_the_folder_stores_a_message_as_it_arrives(app, imap_mailbox):
    with watcher_of(app, imap_mailbox):
        time.sleep(0.5)  # the first poll, then IDLE
        imap_mailbox.append(a_reply(1))
        wait_for_a_stored_message(app)
    assert stored_texts(app)[0] == "Olá, here is answer number 1."


def test_a_message_that_arrives_while_the_folder_is_polled_is_stored_without_waiting(
        app, imap_mailbox, monkeypatch):
    """It arrives after the poll has read the folder and before IDLE begins: IDLE, on the
    folder opened before the poll, sees it as news (else it waited for IDLE_SECONDS)."""
    real_poll = imap.poll
    polls = []

    def poll_then_a_message_arrives(url):
        result = real_poll(url)
        polls.append(result)
        if len(polls) == 1:
            imap_mailbox.append(a_reply(1))
        return result

    monkeypatch.setattr(imap, "poll", poll_then_a_message_arrives)
    with watcher_of(app, imap_mailbox):
        wait_for_a_stored_message(app)
    assert stored_texts(app)[0] == "Olá, here is answer number 1."


def test_the_listener_stores_a_message_for_its_domain(app, listener):
    assert deliver(listener, a_reply(), to="pledges+a1b2c3@mayorsmechanism.example") == {}
    assert stored_count(app) == 1


def test_the_listener_refuses_a_recipient_of_another_domain(app, listener):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(listener, a_reply(), to="someone@elsewhere.example")
    assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    assert stored_count(app) == 0


def test_the_listener_refuses_a_message_over_the_size_limit(app, listener):
    listener.size_limit = 2000  # taken at the next connection
    with pytest.raises(smtplib.SMTPResponseException) as refused:  # at MAIL FROM, or DATA
        deliver(listener, a_reply() + b"x" * 5000)
    assert refused.value.smtp_code == 552
    assert stored_count(app) == 0


def test_the_listener_asks_the_sender_to_retry_when_the_database_is_down(app_factory):
    broken = app_factory(database_url=UNREACHABLE_DATABASE, INBOUND_ADDRESS=INBOUND)
    down = LmtpListener(broken, port=free_port())
    down.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            deliver(down, a_reply())
    finally:
        down.stop()
    assert refused.value.smtp_code == 451
