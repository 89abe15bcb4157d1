"""What mail providers read in an email before a person does: a one-click unsubscribe link they
can use (RFC 2369, RFC 8058), a Date and a Message-ID on every message, and a DKIM signature
that checks out against the published key. Read from the bytes the SMTP server received."""
import base64
import re
from urllib.parse import urlsplit

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from intake.config import ConfigurationError
from intake.email import outbox, wire
from intake.extensions import db
from intake.models import EmailSuppression, Pledge

from .support.client import ContactBrowser, drain_queue, outbox_rows

CONTACT = "ana.souza@prefeitura.example"
SENDER = "Call to Local Action <pledges@mayorsmechanism.example>"
SELECTOR = "intake2026"


def header_lines(raw):
    """{name (lower case): [the header's line as sent, continuation lines joined]}."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    unfolded = re.sub(rb"\r\n[ \t]", b" ", head)  # a folded header's lines, as one
    found = {}
    for line in unfolded.split(b"\r\n"):
        name, _, value = line.partition(b":")
        found.setdefault(name.decode().lower(), []).append(value.strip())
    return found


def raw_header_line(raw, name):
    """The header's line exactly as it came, unfolded by nobody."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    return next(line for line in head.split("\r\n") if line.lower().startswith(name.lower() + ":"))


def queue_a_draft_reminder(app):
    """A contact who stopped after step 1, and the reminder of the draft, due now."""
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        outbox.queue_email("reminder_draft", CONTACT, "en", f"reminder_draft:{pledge.id}:now",
                           pledge_id=pledge.id)
        db.session.commit()


def received_reminder(app, mailbox):
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    queue_a_draft_reminder(app)
    drain_queue(app)
    [raw] = [raw for raw in mailbox.raw if b"waiting for you" in raw]
    return raw


def test_the_unsubscribe_header_is_a_plain_https_link_with_one_click(app, mailbox):
    app.config["BASE_URL"] = "https://pledges.test"
    raw = received_reminder(app, mailbox)

    line = raw_header_line(raw, "List-Unsubscribe")
    assert len(line) > 78  # longer than a folded line: the mail library used to encode it
    assert "=?" not in line
    assert re.fullmatch(r"List-Unsubscribe: <https://pledges\.test/unsubscribe/[\w.=-]+>", line)
    assert raw_header_line(raw, "List-Unsubscribe-Post") == (
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click")

    # What the provider does with it (RFC 8058): a POST, with no form token and no cookie.
    path = urlsplit(line.partition("<")[2].rstrip(">")).path
    provider = app.test_client(use_cookies=False)
    response = provider.post(path, data="List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(EmailSuppression, (CONTACT, "reminders")) is not None


def test_every_message_has_a_date_and_a_message_id_on_the_senders_domain(app, mailbox):
    app.config["MAIL_DEFAULT_SENDER"] = SENDER
    ContactBrowser(app.test_client()).send_in_one_go()
    drain_queue(app)

    assert len(mailbox.raw) == 2  # the acknowledgement, the coordinators' notice
    stored = {row.message_id for row in outbox_rows(app)}
    for raw in mailbox.raw:
        headers = header_lines(raw)
        [date] = headers["date"]
        assert re.fullmatch(rb"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", date)
        [message_id] = headers["message-id"]
        assert message_id.decode() in stored
        assert message_id.endswith(b"@mayorsmechanism.example>")


def test_the_message_id_domain_can_be_set_apart(app, mailbox):
    app.config["MAIL_MESSAGE_ID_DOMAIN"] = "mail.mayorsmechanism.example"
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    drain_queue(app)
    [raw] = mailbox.raw
    assert header_lines(raw)["message-id"][0].endswith(b"@mail.mayorsmechanism.example>")


@pytest.fixture(scope="module")
def dkim_key():
    """A key pair, as the secretariat makes one: the private key in PEM, and the TXT record
    that publishes the public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def published(record):
    """DNS for the test: the one TXT record at <selector>._domainkey.<domain>."""
    def dnsfunc(name, timeout=5):
        return record if name == f"{SELECTOR}._domainkey.mayorsmechanism.example.".encode() \
            else None
    return dnsfunc


def test_a_message_signed_with_the_configured_key_verifies_against_the_published_one(
        app_factory, mailbox, dkim_key, tmp_path):
    private, record = dkim_key
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(private)
    signing = app_factory(DKIM_PRIVATE_KEY_PATH=str(key_file), DKIM_SELECTOR=SELECTOR,
                          MAIL_DEFAULT_SENDER=SENDER, BASE_URL="https://pledges.test")
    raw = received_reminder(signing, mailbox)

    [signature] = header_lines(raw)["dkim-signature"]
    tags = dict(part.strip().split(b"=", 1) for part in signature.split(b";"))
    assert tags[b"d"] == b"mayorsmechanism.example" and tags[b"s"] == SELECTOR.encode()
    signed = tags[b"h"].replace(b" ", b"").lower().split(b":")
    assert {b"from", b"subject", b"date", b"message-id", b"list-unsubscribe",
            b"list-unsubscribe-post"} <= set(signed)
    assert dkim.verify(raw, dnsfunc=published(record))
    altered = raw.replace(b"waiting for you", b"waiting for yoU", 1)
    assert not dkim.verify(altered, dnsfunc=published(record))


def test_without_a_key_messages_go_unsigned(app, mailbox):
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    drain_queue(app)
    [raw] = mailbox.raw
    assert "dkim-signature" not in header_lines(raw)


@pytest.mark.parametrize(("settings", "said"), [
    ({"DKIM_PRIVATE_KEY": "not a key", "DKIM_SELECTOR": SELECTOR}, "not an unencrypted PEM"),
    ({"DKIM_PRIVATE_KEY_PATH": "/nonexistent/dkim.pem", "DKIM_SELECTOR": SELECTOR},
     "DKIM_PRIVATE_KEY_PATH: the DKIM key cannot be read"),
    ({"DKIM_PRIVATE_KEY": "KEY"}, "DKIM_SELECTOR is not"),
])
def test_a_dkim_key_set_wrong_stops_the_start_with_what_to_fix(app_factory, dkim_key,
                                                               settings, said):
    settings = {name: dkim_key[0].decode() if value == "KEY" else value
                for name, value in settings.items()}
    with pytest.raises(ConfigurationError, match=said):
        app_factory(**settings)


def test_a_signature_that_fails_at_send_time_keeps_the_email_and_says_why(
        app, app_factory, mailbox, dkim_key, monkeypatch):
    signing = app_factory(DKIM_PRIVATE_KEY=dkim_key[0].decode(), DKIM_SELECTOR=SELECTOR,
                          EMAIL_MAX_ATTEMPTS=2)

    def refuse(*args, **kwargs):
        raise dkim.KeyFormatError("the key was rotated under us")

    monkeypatch.setattr(wire.dkim, "sign", refuse)
    ContactBrowser(signing.test_client()).complete_steps(upto="city")
    drain_queue(signing)

    [row] = outbox_rows(app)
    assert (row.status, row.fault, row.attempts) == ("failed", "setup", 2)  # an admin retries
    assert row.last_error == ("SetupFailure at BUILD: DKIM signing failed: the key was rotated "
                              "under us")
    assert mailbox.raw == []  # nothing unsigned went out
