"""Our mail setup failing is not the recipients' fault: an SMTP server that refuses our password
(535) or our sender (550/554 at MAIL FROM) suppresses nobody, fails the rows with the reason,
says "degraded" on /healthz and on the coordinators' email problems page; once it accepts, an
admin's retry and new emails reach the same recipients, once each. A refusal of one recipient
at RCPT TO suppresses that address only. An email that raises while being built ends failed,
never "sending", and the attempt limit always holds."""
import re
import socket
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from intake import worker
from intake.email import outbox
from intake.extensions import db
from intake.models import AuditEntry, EmailSuppression, OutboxEmail

from .support.client import ContactBrowser, drain_queue, outbox_rows

CONTACT = "ana.souza@prefeitura.example"
COORDINATORS = "coordinators@mayorsmechanism.example"
SMTP_USER, SMTP_PASSWORD = "pledges@mayorsmechanism.example", "s3cret-for-smtp"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class StrictMailServer:
    """A real SMTP server on loopback (aiosmtpd) with AUTH, whose answers at AUTH, MAIL FROM
    and RCPT TO a test sets; what it accepts it keeps, with its envelope."""

    def __init__(self):
        self.port = self._free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     authenticator=self.authenticate, auth_required=False,
                                     auth_require_tls=False)
        self.reset()

    @staticmethod
    def _free_port():
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def reset(self):
        self.refuse_auth = False
        self.mail_from_answer = None  # e.g. "550 5.7.1 Sender rejected"
        self.rcpt_answers = {}  # address -> answer at RCPT TO
        self.received = []  # (envelope recipients, parsed message)
        self.auth_attempts = 0

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.auth_attempts += 1
        right = (auth_data.login, auth_data.password) == (SMTP_USER.encode(),
                                                          SMTP_PASSWORD.encode())
        return AuthResult(success=right and not self.refuse_auth, handled=False)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_from_answer:
            return self.mail_from_answer
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.rcpt_answers.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address):
        return [message for recipients, message in self.received if address in recipients]


@pytest.fixture(scope="module")
def strict_server():
    server = StrictMailServer()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def mail_server(strict_server):
    strict_server.reset()
    return strict_server


@pytest.fixture
def sending_app(app, app_factory, mail_server):
    """The app (on the `app` fixture's database and Redis, cleaned after each test) sending
    through the strict server with a login, three attempts an email."""
    return app_factory(MAIL_PORT=mail_server.port, MAIL_USERNAME=SMTP_USER,
                       MAIL_PASSWORD=SMTP_PASSWORD, EMAIL_MAX_ATTEMPTS=3)


def send_a_pledge(app):
    """A city contact starts and sends a pledge before the worker runs: an acknowledgement to
    the contact and a notification to the coordinators (the draft's private link, no longer
    needed when its turn comes, is skipped)."""
    contact = ContactBrowser(app.test_client())
    contact.complete_steps()
    assert contact.submit().status_code == 303
    return contact


def suppressions(app):
    with app.app_context():
        return {(row.email, row.scope) for row in db.session.scalars(select(EmailSuppression))}


def health(app):
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def audit_actions(app):
    with app.app_context():
        return [entry.action for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("email_%")).order_by(AuditEntry.id))]


class EmailProblemsPage:
    """A signed-in coordinator on the email problems page, posting its forms as a person does."""

    def __init__(self, client):
        self.client = client
        self.page = None

    def open(self):
        self.page = self.client.get("/triage/email-problems")
        assert self.page.status_code == 200
        return self.text

    @property
    def text(self):
        return self.page.get_data(as_text=True)

    def post(self, path, data=None):
        self.open()
        token = CSRF.search(self.text).group(1)
        self.page = self.client.post(path, data={"csrf_token": token, **(data or {})})
        return self.page


@pytest.fixture
def admin_page(app, make_coordinator, sign_in):
    admin = make_coordinator(email="admin@mayorsmechanism.example", role="admin")
    return EmailProblemsPage(sign_in(admin))


@pytest.fixture
def coordinator_page(app, make_coordinator, sign_in):
    coordinator = make_coordinator(email="triage@mayorsmechanism.example")
    return EmailProblemsPage(sign_in(coordinator))


SETUP_REFUSALS = {
    "wrong password (535 at AUTH)": ("auth", "535 5.7.8 at AUTH"),
    "sender refused (550 at MAIL FROM)": ("550 5.7.1 Sender address rejected: not owned by user",
                                          "550 5.7.1 at MAIL FROM"),
    "relay refused (554 at MAIL FROM)": ("554 5.7.1 Relay access denied",
                                         "554 5.7.1 at MAIL FROM"),
}


def refuse(server, how):
    if how == "auth":
        server.refuse_auth = True
    else:
        server.mail_from_answer = how


def accept(server):
    server.refuse_auth = False
    server.mail_from_answer = None


@pytest.mark.parametrize("refusal", SETUP_REFUSALS, ids=list(SETUP_REFUSALS))
def test_a_refusal_of_our_mail_setup_suppresses_nobody_and_an_admin_retry_delivers_once(
        app, sending_app, mail_server, admin_page, coordinator_page, refusal):
    how, head = SETUP_REFUSALS[refusal]
    refuse(mail_server, how)
    send_a_pledge(sending_app)
    drain_queue(sending_app)

    rows = outbox_rows(app, status="failed")
    assert {row.recipient for row in rows} == {CONTACT, COORDINATORS}
    assert [row.kind for row in outbox_rows(app, status="skipped")] == ["resume_link"]
    for row in rows:  # tried up to the limit, then failed with the reason
        assert (row.status, row.attempts, row.fault) == ("failed", 3, "setup")
        assert row.last_error.startswith(head + ": ")
    assert suppressions(app) == set()  # nobody blamed for our fault
    assert mail_server.received == []
    if how == "auth":
        assert mail_server.auth_attempts >= 3  # the password was really tried, and refused

    status, body = health(sending_app)
    assert status == 200
    assert body["status"] == "degraded" and body["email"] == "degraded"
    assert body["email_error"] == head
    assert (body["database"], body["redis"]) == ("ok", "ok")

    page = coordinator_page.open()
    assert 'id="sending-alert"' in page and head in page
    assert CONTACT in page and COORDINATORS in page
    assert "Send again" not in page and "/admin/emails" not in page  # only admins act

    accept(mail_server)
    assert health(sending_app)[1]["email"] == "degraded"  # until an attempt gets through
    response = admin_page.post("/admin/emails/retry-failed")
    assert response.status_code == 303
    assert {(row.status, row.attempts) for row in outbox_rows(app)
            if row.status != "skipped"} == {("pending", 0)}
    assert audit_actions(app) == ["email_retried"] * len(rows)

    drain_queue(sending_app)
    assert {row.status for row in outbox_rows(app)} == {"sent", "skipped"}
    assert len(mail_server.to(CONTACT)) == 1  # the acknowledgement
    assert len(mail_server.to(COORDINATORS)) == 1
    assert health(sending_app) == (200, {"status": "ok", "database": "ok", "redis": "ok",
                                          "email": "ok"})
    assert 'id="sending-ok"' in admin_page.open()

    drain_queue(sending_app)  # nothing left: nobody gets a second copy
    assert len(mail_server.received) == 2

    send_a_pledge(sending_app)  # and new emails go too
    drain_queue(sending_app)
    assert len(mail_server.to(CONTACT)) == 2  # a second pledge: its acknowledgement
    assert len(mail_server.to(COORDINATORS)) == 2


def test_an_admin_retries_one_failed_email_and_it_alone_goes(
        app, sending_app, mail_server, admin_page):
    refuse(mail_server, "auth")
    send_a_pledge(sending_app)
    drain_queue(sending_app)
    accept(mail_server)
    [to_coordinators] = outbox_rows(app, recipient=COORDINATORS)
    admin_page.open()
    assert f'id="email-{to_coordinators.id}"' in admin_page.text
    response = admin_page.post(f"/admin/emails/{to_coordinators.id}/retry")
    assert response.status_code == 303
    drain_queue(sending_app)
    assert len(mail_server.to(COORDINATORS)) == 1
    assert mail_server.to(CONTACT) == []
    assert {row.kind: row.status for row in outbox_rows(app, recipient=CONTACT)} == {
        "resume_link": "skipped", "acknowledgement": "failed"}
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "email_retried")).all()
        assert entry.actor_label and entry.after["email_id"] == to_coordinators.id
        assert entry.before["status"] == "failed" and entry.before["attempts"] == 3
    again = admin_page.post(f"/admin/emails/{to_coordinators.id}/retry")  # it was sent
    assert again.status_code == 303
    assert "no longer failed" in admin_page.client.get("/triage/email-problems").get_data(
        as_text=True)


def test_a_recipient_refused_at_rcpt_is_suppressed_alone(
        app, sending_app, mail_server, admin_page):
    mail_server.rcpt_answers[CONTACT] = "550 5.1.1 <ana.souza@prefeitura.example>: User unknown"
    send_a_pledge(sending_app)
    drain_queue(sending_app)

    [link] = outbox_rows(app, kind="resume_link")  # the pledge was sent: no longer needed
    assert link.status == "skipped"
    [acknowledgement] = outbox_rows(app, kind="acknowledgement")  # refused for good at once
    assert (acknowledgement.status, acknowledgement.attempts, acknowledgement.fault) == (
        "failed", 1, "recipient")
    assert acknowledgement.last_error.startswith("550 5.1.1 at RCPT TO: ")
    [notification] = outbox_rows(app, recipient=COORDINATORS)
    assert notification.status == "sent"
    assert len(mail_server.to(COORDINATORS)) == 1
    assert suppressions(app) == {(CONTACT, "all")}
    assert health(sending_app)[1]["email"] == "ok"  # the setup works: no alert for that

    page = admin_page.open()
    assert "Refused by the recipient&#39;s server" in page and 'id="suppressed-addresses"' in page
    # The address is fixed on the server's side (the mailbox now exists): lift, then retry.
    del mail_server.rcpt_answers[CONTACT]
    response = admin_page.post("/admin/emails/suppressions/lift",
                               {"address": CONTACT, "scope": "all"})
    assert response.status_code == 303
    assert suppressions(app) == set()
    admin_page.post("/admin/emails/retry-failed")
    drain_queue(sending_app)
    assert len(mail_server.to(CONTACT)) == 1  # the acknowledgement, now delivered
    with app.app_context():
        [lifted] = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "email_suppression_lifted")).all()
        assert lifted.before["scope"] == "all"
        assert CONTACT not in str(lifted.before)  # the audit names it masked
        assert lifted.before["address"] == "a…@prefeitura.example"


def test_an_unsubscribe_is_not_lifted_by_an_admin(app, sending_app, admin_page):
    with app.app_context():
        outbox.suppress(CONTACT, "reminders", "Unsubscribed from reminders")
        db.session.commit()
    page = admin_page.open()
    assert CONTACT in page and "Lift" not in page
    admin_page.post("/admin/emails/suppressions/lift", {"address": CONTACT, "scope": "reminders"})
    assert suppressions(app) == {(CONTACT, "reminders")}
    assert audit_actions(app) == []


def test_a_server_that_cannot_be_reached_makes_email_degraded_not_the_app_down(
        app, app_factory):
    unreachable = app_factory(MAIL_PORT=1, EMAIL_RETRY_DELAYS=(3600,))  # nothing listens
    send_a_pledge(unreachable)
    drain_queue(unreachable)
    status, body = health(unreachable)
    assert status == 200
    assert body["email"] == "degraded"
    assert body["email_error"] == "ConnectionRefusedError at CONNECTION"
    assert {row.kind: row.status for row in outbox_rows(app)
            if row.status != "skipped"} == {"acknowledgement": "pending",
                                            "coordinator_new_pledge": "pending"}  # tried later
    assert suppressions(app) == set()


def test_an_email_that_raises_while_being_built_ends_failed_never_sending(
        app, sending_app, mail_server, monkeypatch):
    def broken_template(email, context):
        if email.kind == "acknowledgement":
            raise RuntimeError("a template bug")
        return real_build(email, context)

    real_build = worker.message.build_message
    monkeypatch.setattr(worker.message, "build_message", broken_template)
    send_a_pledge(sending_app)
    drain_queue(sending_app)
    [acknowledgement] = outbox_rows(app, kind="acknowledgement")
    assert (acknowledgement.status, acknowledgement.attempts) == ("failed", 1)
    assert acknowledgement.fault == "message"
    assert acknowledgement.last_error == "RuntimeError at BUILD: a template bug"
    assert {row.kind: row.status for row in outbox_rows(app)
            if row.kind != "acknowledgement"} == {"resume_link": "skipped",
                                                  "coordinator_new_pledge": "sent"}
    assert suppressions(app) == set()
    assert health(sending_app)[1]["email"] == "ok"  # a bug of ours, not the mail setup
    sending_app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with sending_app.app_context():
        worker.dispatch_pending()  # the dispatcher leaves it alone
    drain_queue(sending_app)
    assert outbox_rows(app, kind="acknowledgement")[0].status == "failed"


def test_an_email_whose_context_raises_ends_failed_and_counts_its_attempt(
        app, sending_app, mail_server, monkeypatch):
    def broken_context(email):
        raise LookupError("the pledge's data cannot be read")

    monkeypatch.setattr(worker.message, "email_context", broken_context)
    ContactBrowser(sending_app.test_client()).complete_steps(upto="city")
    drain_queue(sending_app)
    [row] = outbox_rows(app)
    assert (row.status, row.attempts, row.fault) == ("failed", 1, "message")
    assert row.last_error == "LookupError at BUILD: the pledge's data cannot be read"
    assert mail_server.received == []


def test_a_header_the_mail_library_refuses_fails_the_row_with_its_reason(
        app, sending_app, mail_server):
    with sending_app.app_context():
        outbox.queue_email("coordinator_digest", "list@example.org\nBcc: victim@example.org",
                           "en", "digest:header-test", context={"day": "2026-01-01",
                                                                "pledges": []})
        db.session.commit()
    drain_queue(sending_app)
    [row] = outbox_rows(app)
    assert (row.status, row.attempts, row.fault) == ("failed", 1, "message")
    assert row.last_error.startswith("BadHeaderError at BUILD")
    assert mail_server.received == []


def test_a_row_left_sending_at_its_last_attempt_ends_failed(app, sending_app, mail_server):
    ContactBrowser(sending_app.test_client()).complete_steps(upto="city")
    [row] = outbox_rows(app)
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    with sending_app.app_context():  # a worker died mid-send, at the third and last attempt
        email = db.session.get(OutboxEmail, row.id)
        email.status, email.attempts, email.claimed_at = "sending", 3, long_ago
        db.session.commit()
        assert outbox.rescue_stuck() == (frozenset(), 1)
        db.session.commit()
        assert outbox.rescue_stuck() == (frozenset(), 0)
    [stuck] = outbox_rows(app)
    assert (stuck.status, stuck.attempts) == ("failed", 3)
    assert "last attempt" in stuck.last_error
    sending_app.config["EMAIL_DISPATCH_GRACE_SECONDS"] = 0
    with sending_app.app_context():
        worker.dispatch_pending()
    drain_queue(sending_app)
    assert mail_server.received == []


def test_a_pending_row_past_a_lowered_limit_is_failed_not_sent_again(
        app, app_factory, sending_app, mail_server):
    mail_server.mail_from_answer = "451 4.3.0 Try later"
    ContactBrowser(sending_app.test_client()).complete_steps(upto="city")
    patient = app_factory(MAIL_PORT=mail_server.port, MAIL_USERNAME=SMTP_USER,
                          MAIL_PASSWORD=SMTP_PASSWORD, EMAIL_RETRY_DELAYS=(3600,))
    drain_queue(patient)
    [waiting] = outbox_rows(app)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    mail_server.mail_from_answer = None
    strict = app_factory(MAIL_PORT=mail_server.port, MAIL_USERNAME=SMTP_USER,
                         MAIL_PASSWORD=SMTP_PASSWORD, EMAIL_MAX_ATTEMPTS=1)
    with strict.app_context():
        db.session.execute(OutboxEmail.__table__.update().values(
            next_attempt_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        db.session.commit()
        assert worker.send_email(waiting.id) == "skipped"  # no attempt left: not claimed
        worker.dispatch_pending()
    [failed] = outbox_rows(app)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error.startswith("451 4.3.0 at MAIL FROM")
    assert mail_server.received == []
