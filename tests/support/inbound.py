"""Raw inbound emails, as a city's mail server would send them (bytes, built with
email.message.EmailMessage), and the app's side of them: the emails it sent a pledge, and
receiving. For every test of inbound email (matching, transports, the tray, the archive)."""
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select

from intake.clock import utcnow
from intake.extensions import db
from intake.inbound import ingest
from intake.models import InboundMessage, OutboxEmail, Pledge

INBOUND = "pledges@mayorsmechanism.example"
CITY = "ana.souza@prefeitura.example"
COLLEAGUE = "rui.lima@prefeitura.example"
STRANGER = "someone@elsewhere.example"
MAILER_DAEMON = "MAILER-DAEMON@mx.prefeitura.example"


def email(sender=CITY, to=INBOUND, subject="Re: your pledge", body="Hello, here it is.",
          cc=None, in_reply_to=None, references=None, message_id=None, headers=None,
          attachments=(), html=None):
    """A person's email: `attachments` are (filename, content type, bytes); `html`, an HTML
    part beside the text."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id or make_msgid(domain="mail.city.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def sent_to_city(app, pledge_id):
    """The Message-ID of the last email the app wrote to the pledge's city (with its brackets)."""
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        return db.session.scalars(
            select(OutboxEmail.message_id).where(OutboxEmail.pledge_id == pledge_id,
                                                 OutboxEmail.recipient == pledge.focal_email)
            .order_by(OutboxEmail.id.desc())).first()


def reference_of(app, pledge_id):
    with app.app_context():
        return db.session.get(Pledge, pledge_id).reference


def first_email(message_id="<hello-1@city.example>", subject="Our city wants to pledge",
                sender="Marie Dupont <marie.dupont@mairie-lyon.example>", **fields):
    """A city the app does not know yet writes for the first time: to the tray."""
    return email(sender=sender, subject=subject, message_id=message_id,
                 body="Hello, Lyon would like to join the Call.\nWho should we write to?",
                 **fields)


def city_reply(app, pledge_id, sender=CITY, **fields):
    """The city's reply to the last email it got about its pledge (In-Reply-To, References)."""
    replied = sent_to_city(app, pledge_id)
    fields.setdefault("subject", f"Re: Your pledge {reference_of(app, pledge_id)}")
    return email(sender=sender, in_reply_to=replied, references=replied, **fields)


def colleague_reply(app, pledge_id, **fields):
    """A colleague the city copied, replying to all."""
    return city_reply(app, pledge_id, sender=f"Rui Lima <{COLLEAGUE}>", cc=CITY, **fields)


def forward(app, pledge_id, sender=COLLEAGUE, **fields):
    """Another city department forwarding the thread on (its References kept)."""
    replied = sent_to_city(app, pledge_id)
    return email(sender=sender, subject=f"Fwd: Your pledge {reference_of(app, pledge_id)}",
                 references=replied, body="---------- Forwarded message ---------\n...",
                 **fields)


def stranger_quoting(reference, sender=STRANGER):
    """Someone unknown to the pledge, with its reference in a new subject."""
    return email(sender=sender, subject=f"About {reference}", body="Is this yours?")


def out_of_office(app, pledge_id, sender=CITY):
    """An out-of-office answer to the last email (RFC 3834 Auto-Submitted)."""
    return city_reply(app, pledge_id, sender=sender, subject="Out of office",
                      body="I am away until Monday.",
                      headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"})


def delivery_status(recipient, status, action=None, in_reply_to=None):
    """A DSN (RFC 3464) about one recipient: 5.1.1 (no such user) fails for good, 4.4.1 (no
    answer from the host) is delayed."""
    action = action or ("failed" if status.startswith("5") else "delayed")
    report = EmailMessage()
    report["From"] = MAILER_DAEMON
    report["To"] = INBOUND
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = format_datetime(utcnow())
    report["Message-ID"] = make_msgid(domain="mx.prefeitura.example")
    report["Auto-Submitted"] = "auto-replied"
    if in_reply_to:
        report["In-Reply-To"] = in_reply_to
    report.set_content(f"I could not deliver your message to {recipient}.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    report.set_boundary("dsn-boundary-1")
    status_text = ("Reporting-MTA: dns; mx.prefeitura.example\r\n\r\n"
                   f"Final-Recipient: rfc822; {recipient}\r\n"
                   f"Action: {action}\r\n"
                   f"Status: {status}\r\n"
                   "Diagnostic-Code: smtp; the server said so\r\n")
    raw = report.as_bytes().decode()
    closing = "--dsn-boundary-1--"
    part = ("--dsn-boundary-1\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"{status_text}\r\n")
    return raw.replace(closing, part + closing).encode()


def nested_too_deep(message_id, depth=1200):
    """A damaged message: multipart parts nested deeper than any mail program writes them."""
    opening = "".join(f'--b{level}\r\nContent-Type: multipart/mixed; boundary="b{level + 1}"'
                      "\r\n\r\n" for level in range(depth))
    closing = "".join(f"--b{level}--\r\n" for level in reversed(range(depth + 1)))
    return (f"From: loop@broken.example\r\nMessage-ID: <{message_id}>\r\n"
            f'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n{opening}{closing}').encode()


def receive(app, raw, via="lmtp"):
    """What a transport does: ingest.receive, then commit. Returns the stored message's id."""
    with app.app_context():
        message, _new = ingest.receive(raw, via=via)
        db.session.commit()
        return message.id


def received(app, raw=None, **changes):
    """The email stored as it came (by default, a first email, to the tray), then `changes`
    made to it; returns its id."""
    with app.app_context():
        message, _new = ingest.receive(raw or first_email(), via="imap")
        for name, value in changes.items():
            setattr(message, name, value)
        db.session.commit()
        return message.id


def stored(app, message_id):
    """The stored message (detached, its attachments loaded)."""
    with app.app_context():
        message = db.session.get(InboundMessage, message_id)
        _loaded = message.attachments
        db.session.expunge_all()
        return message
