"""Turning an outbox row into a real email, and handing it to SMTP with a timeout."""
import smtplib
import threading
import time

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_mail import Connection, Message
from itsdangerous import URLSafeSerializer

from .reminders import REMINDER_KINDS

SUBJECTS = {
    "resume_link": _l("Your private link to continue your pledge"),
    "acknowledgement": _l("We received your pledge %(reference)s"),
    "coordinator_new_pledge": _l("New pledge %(reference)s from %(city)s"),
    "coordinator_digest": _l("Pledges received on %(day)s"),
    "reminder_draft": _l("Your pledge is waiting for you"),
    "reminder_information": _l("A coordinator is waiting for your answer on %(reference)s"),
    "reminder_update": _l("Time to report progress on %(reference)s"),
    "status_changed": _l("News about your pledge %(reference)s"),
    "information_request": _l("Questions about your pledge %(reference)s"),
    "information_answered": _l("The city answered: %(reference)s"),
}


class TimedConnection(Connection):
    """Flask-Mail's connection, with a timeout: a silent SMTP server must not hang a worker."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host

    def __exit__(self, exc_type, exc_value, tb):
        """Close without hiding why sending failed (quit() on a dead connection raises)."""
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            if exc_type is None:
                raise
            self.host.close()


def absolute_url(endpoint, **values):
    """Links in emails use BASE_URL: the worker has no request to take a host from."""
    app = current_app._get_current_object()
    with app.test_request_context("/"):
        return app.config["BASE_URL"] + url_for(endpoint, **values)


def unsubscribe_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe-reminders")


def unsubscribe_url(address):
    token = unsubscribe_serializer().dumps(address)
    return absolute_url("emails.unsubscribe", token=token)


def address_from_unsubscribe_token(token):
    from itsdangerous import BadSignature

    try:
        return unsubscribe_serializer().loads(token)
    except BadSignature:
        return None


def build_message(email, context):
    """The email in the recipient's language, with text and HTML parts."""
    with force_locale(email.language):
        subject = context["subject"] = str(SUBJECTS[email.kind]) % context
        text = render_template(f"email/{email.kind}.txt", **context)
        html = render_template(f"email/{email.kind}.html", **context)
    message = Message(subject=subject, recipients=[email.recipient], body=text, html=html,
                      sender=current_app.config["MAIL_DEFAULT_SENDER"])
    message.msgId = email.message_id  # the same id on every attempt
    headers = {"Auto-Submitted": "auto-generated", "Content-Language": email.language}
    if email.kind in REMINDER_KINDS:
        link = context["unsubscribe_url"]
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.extra_headers = headers
    return message


KEPT_CONNECTION_IDLE_SECONDS = 30  # far below the 5 minutes an SMTP server may wait (RFC 5321)
_kept = threading.local()  # the connection a worker keeps open between two emails of a backlog


def deliver(message, keep_open=False):
    """Send over SMTP. With keep_open, the connection stays open for the next email (a worker
    with a backlog); otherwise it is closed with QUIT. A failed send always drops it."""
    mail = current_app.extensions["mail"]
    connection = _take_kept_connection(mail) or _open_connection(mail)
    try:
        connection.send(message)
    except BaseException:
        _drop(connection)
        raise
    if keep_open and connection.host is not None:
        _kept.entry = (mail, connection, time.monotonic())
    else:
        _close(connection)


def close_kept_connection():
    """Say QUIT on the connection a worker kept open, if any (the queue is empty, or it stops)."""
    entry = _take_entry()
    if entry is not None:
        _close(entry[1])


def _take_entry():
    """(mail setup, connection, last used) of the kept connection, which is no longer kept."""
    entry = getattr(_kept, "entry", None)
    _kept.entry = None
    return entry


def _open_connection(mail):
    connection = TimedConnection(mail)
    connection.host = None if mail.suppress else connection.configure_host()
    return connection


def _take_kept_connection(mail):
    """The kept connection, if it is for this mail setup, recent, and still answers NOOP."""
    entry = _take_entry()
    if entry is None:
        return None
    kept_for, connection, last_used = entry
    fresh = time.monotonic() - last_used < KEPT_CONNECTION_IDLE_SECONDS
    if kept_for is not mail or not fresh:
        _close(connection)
        return None
    try:
        if connection.host.noop()[0] == 250:
            return connection
    except (smtplib.SMTPException, OSError):
        pass
    _drop(connection)
    return None


def _close(connection):
    try:
        connection.__exit__(None, None, None)
    except (smtplib.SMTPException, OSError):
        _drop(connection)


def _drop(connection):
    """Close the socket without a word: after a failure the SMTP dialogue is in an unknown state."""
    if connection.host is not None:
        connection.host.close()
