"""Handing an email to SMTP with a timeout; a worker with a backlog keeps its connection."""
import smtplib
import ssl
import threading
import time

from flask import current_app
from flask_mail import Connection


class TimedConnection(Connection):
    """Flask-Mail's connection, with a timeout: a silent SMTP server must not hang a worker."""

    def configure_host(self):
        config = current_app.config
        timeout = config["MAIL_TIMEOUT_SECONDS"]
        if self.mail.use_ssl:  # SMTPS: TLS from the first byte
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout,
                                    context=tls_context(config))
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls and not self.mail.use_ssl:
            host.starttls(context=tls_context(config))
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


def tls_context(config):
    """The server's certificate and name checked (smtplib's own default checks neither), against
    the system's authorities or MAIL_TLS_CA_FILE's."""
    return ssl.create_default_context(cafile=config.get("MAIL_TLS_CA_FILE"))


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
