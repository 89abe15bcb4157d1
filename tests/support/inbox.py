"""Emails that reach the app, as a mail server would hand them over: raw bytes made by
email.message.EmailMessage, stored through intake.inbound.ingest.receive."""
from email.message import EmailMessage

from intake.extensions import db
from intake.inbound import ingest


def an_email(message_id="<hello-1@city.example>", subject="Our city wants to pledge",
             sender="Marie Dupont <marie.dupont@mairie-lyon.example>", html=None, headers=None):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "pledges@mayorsmechanism.example"
    message["Subject"] = subject
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 +0100"
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content("Hello, Lyon would like to join the Call.\nWho should we write to?")
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def received(app, raw=None, **changes):
    """The email stored as it came (by default, one to the tray), then `changes` made to it;
    returns its id."""
    with app.app_context():
        message, _new = ingest.receive(raw or an_email(), via="imap")
        for name, value in changes.items():
            setattr(message, name, value)
        db.session.commit()
        return message.id
