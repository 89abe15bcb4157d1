"""Jobs the worker runs. Each takes ids, reloads its rows and skips what is no longer needed."""
import smtplib
import socket
from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import current_app
from flask_babel import force_locale
from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy import select

from . import mailer, outbox, pledges
from .extensions import db
from .models import OutboxEmail, Pledge
from .queueing import email_queue, enqueue_send


def utcnow():
    return datetime.now(timezone.utc)


def fresh_session(job):
    """The worker runs every job in one long app context: give each job its own session, so no
    transaction (and no SQLite snapshot) lives on from one job to the next."""
    @wraps(job)
    def run(*args, **kwargs):
        db.session.remove()
        try:
            return job(*args, **kwargs)
        finally:
            db.session.remove()
    return run


@fresh_session
def send_email(email_id):
    """Send one outbox row. Safe to run twice: only the job that claims the row sends."""
    keep_open = _more_jobs_waiting()
    try:
        return _send(email_id, keep_open)
    finally:
        if not keep_open:
            mailer.close_kept_connection()


def _more_jobs_waiting():
    """In a worker with a backlog, the SMTP connection is kept for the next email."""
    if get_current_job() is None:
        return False
    try:
        return email_queue().count > 0
    except RedisError:
        return False


def _send(email_id, keep_open):
    email = outbox.claim(email_id, commit=False)
    if email is None:
        return "skipped"
    if outbox.is_suppressed(email.recipient, email.kind):
        outbox.mark_suppressed(email)
        return "suppressed"
    context = email_context(email)
    db.session.commit()  # the claim and the private link, together, before sending
    try:
        message = mailer.build_message(email, context)
        mailer.deliver(message, keep_open=keep_open)
    except smtplib.SMTPResponseException as error:
        return _smtp_refused(email, error.smtp_code, error.smtp_error)
    except smtplib.SMTPRecipientsRefused as error:
        code, reason = next(iter(error.recipients.values()))
        return _smtp_refused(email, code, reason)
    except (smtplib.SMTPException, OSError, socket.timeout) as error:
        return _try_later(email, f"{type(error).__name__}: {error}")
    outbox.mark_sent(email)
    return "sent"


def _smtp_refused(email, code, reason):
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    if 500 <= code < 600:
        outbox.mark_permanent_failure(email, f"{code} {text}")
        return "failed"
    return _try_later(email, f"{code} {text}")


def _try_later(email, error):
    next_attempt = outbox.mark_temporary_failure(email, error)
    if next_attempt is None:
        return "failed"
    enqueue_send(email.id, at=next_attempt if next_attempt > utcnow() else None)
    return "retry"


CITY_KINDS = ("resume_link", "acknowledgement", "reminder_draft", "reminder_information",
              "reminder_update", "status_changed", "information_request")


def email_context(email):
    """What the templates need, read fresh: a pledge may have changed since the row was written."""
    context = dict(email.context or {})
    pledge = db.session.get(Pledge, email.pledge_id) if email.pledge_id else None
    if pledge is not None:
        context.update(pledge=pledge, reference=pledge.reference or "", city=pledge.city or "")
    if email.kind in CITY_KINDS and pledge is not None:
        # A fresh private link per email: only its hash is stored, never the link itself.
        raw = pledges.issue_access_token(pledge, current_app.config["RESUME_TOKEN_LIFETIME"])
        page = "intake.resume" if pledge.review_state == "draft" else "tracker.track"
        context["private_link"] = mailer.absolute_url(page, token=raw)
    if email.kind == "information_answered" and pledge is not None:
        context["pledge_page"] = mailer.absolute_url("triage.pledge", pledge_id=pledge.id)
    if email.kind.startswith("reminder_"):
        context["unsubscribe_url"] = mailer.unsubscribe_url(email.recipient)
    context.setdefault("day", "")
    if "state" in context:
        from .review import review_label

        with force_locale(email.language):
            context["state_label"] = str(review_label(context["state"]))
    context["base_url"] = current_app.config["BASE_URL"]
    return context


@fresh_session
def dispatch_pending():
    """Re-enqueue rows left pending (Redis was down or flushed) and rescue stuck ones."""
    outbox.rescue_stuck()
    grace = timedelta(seconds=current_app.config["EMAIL_DISPATCH_GRACE_SECONDS"])
    ids = outbox.pending_ids(now=utcnow() - grace)
    for email_id in ids:
        enqueue_send(email_id)
    return len(ids)


@fresh_session
def sweep_reminders():
    from .reminder_sweep import sweep

    return sweep(utcnow())


@fresh_session
def send_coordinator_digest():
    from .notifications import queue_coordinator_digest

    return queue_coordinator_digest(utcnow())


def unsent_count():
    return db.session.scalar(select(db.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.status.in_(["pending", "sending"])))
