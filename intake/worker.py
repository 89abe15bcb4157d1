"""What the worker runs. Each job takes ids, reloads its rows, skips what is no longer needed,
and owns its transaction: the domain functions it calls change rows, the job commits."""
import time
from datetime import timedelta
from functools import wraps

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job

from .clock import utcnow
from .email import events, faults, message, outbox, smtp, still_true
from .email.enqueue import email_queue, enqueue_new_sends, enqueue_send, without_live_job
from .extensions import db
from .inbound import archive as archive_mail
from .inbound import archive_csv, imap
from .models import ArchiveImport
from .privacy import retention
from .reminders.sweep import sweep


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
            smtp.close_kept_connection()


def _more_jobs_waiting():
    """In a worker with a backlog, the SMTP connection is kept for the next email."""
    if get_current_job() is None:
        return False
    try:
        return email_queue().count > 0
    except RedisError:
        return False


def _send(email_id, keep_open):
    """Every way this can go wrong ends the row failed with its reason, or pending for a
    later attempt within the limit: never left "sending"."""
    email = outbox.claim(email_id)
    if email is None:
        db.session.commit()
        return "skipped"
    if outbox.is_suppressed(email.recipient, email.kind):
        outbox.mark_suppressed(email)
        db.session.commit()
        return "suppressed"
    no_longer_true = still_true.why_no_longer_true(email)
    if no_longer_true:
        outbox.mark_skipped(email, no_longer_true)
        db.session.commit()
        return "no longer true"
    try:
        context = message.email_context(email)
    except Exception as error:  # a bug or bad data: this email, not the worker, fails
        db.session.rollback()  # the claim with it: claim again to record the failure
        return _unbuildable(email_id, error)
    db.session.commit()  # the claim and the private link, together, before sending
    try:
        mail = message.build_message(email, context)
    except Exception as error:
        return _failed(email, faults.build_fault(error), error)
    try:
        smtp.deliver(mail, keep_open=keep_open)
    except Exception as error:  # SMTP's refusals, a dead server, the mail library's refusals
        return _failed(email, faults.classify_exception(error), error)
    outbox.mark_sent(email)
    db.session.commit()
    return "sent"


def _unbuildable(email_id, error):
    email = outbox.claim(email_id)
    if email is None:
        db.session.commit()
        return "skipped"
    return _failed(email, faults.build_fault(error), error)


def _failed(email, fault, error):
    if fault.kind == faults.MESSAGE:
        current_app.logger.error("Email %s (%s) cannot be sent: %s", email.id, email.kind,
                                 fault.reason, exc_info=error)
    elif fault.alerts:
        current_app.logger.warning("Email %s: our mail setup failed: %s", email.id, fault.reason)
    next_attempt = outbox.record_failure(email, fault)
    db.session.commit()
    if next_attempt is None:
        return "failed"
    enqueue_send(email.id, at=next_attempt if next_attempt > utcnow() else None)
    return "retry"


DISPATCH_PAGE = 1000  # rows read, and job states asked of Redis in one pipeline, at a time


@fresh_session
def dispatch_pending():
    """Enqueue the rows left pending with no live job (Redis was down or flushed, a worker died)
    and rescue stuck ones. A row whose job still waits gets no second one. Returns how many
    jobs it enqueued; with Redis down, the rows stay pending for the next pass."""
    # The job that had a rescued row died, whatever Redis still says of it: enqueued again.
    rescued = outbox.rescue_stuck().sent_again
    db.session.commit()
    grace = timedelta(seconds=current_app.config["EMAIL_DISPATCH_GRACE_SECONDS"])
    due_by = utcnow() - grace
    enqueued = 0
    after_id = 0
    try:
        while page := outbox.due_pending_page(due_by, after_id, DISPATCH_PAGE):
            db.session.commit()  # no transaction held open while Redis answers
            after_id = page[-1][0]
            waiting = set(without_live_job(page)) | (rescued & {row[0] for row in page})
            enqueued += enqueue_new_sends(sorted(waiting))
    except RedisError as error:
        current_app.logger.warning("The dispatcher could not reach Redis (%d jobs enqueued "
                                   "before): %s", enqueued, error)
    return enqueued


@fresh_session
def poll_inbound():
    """Read the IMAP folder (IMAP_URL): one commit per message; a server down is logged."""
    result = imap.poll()
    return result.error or f"{result.read} read, {result.new} new"


@fresh_session
def sweep_reminders():
    """The reminder sweep commits batch by batch (a batch another writer changed is redone)."""
    return sweep(utcnow())


@fresh_session
def send_coordinator_digest():
    queued = events.queue_coordinator_digest(utcnow())
    db.session.commit()
    return queued


@fresh_session
def sweep_retention():
    """Erase the contact data of forgotten drafts and delete expired private links. Emails
    wait behind a job: past its time budget it stops between batches (the next run goes on)."""
    return run_retention(utcnow(), current_app.config["RETENTION_JOB_BUDGET_SECONDS"])


def run_retention(now, budget_seconds=None):
    """The retention sweep at `now`, one commit per batch of drafts: (drafts, tokens)."""
    rules = retention.retention_rules()
    started = time.monotonic()
    drafts = 0
    while True:
        erased = retention.erase_stale_drafts(now, rules)
        db.session.commit()
        drafts += erased
        if erased < retention.BATCH or (
                budget_seconds is not None and time.monotonic() - started > budget_seconds):
            break
    tokens = retention.delete_expired_tokens(now)
    db.session.commit()
    return drafts, tokens


@fresh_session
def import_archive(archive_id):
    """An import of the old archive (mail or spreadsheet): safe to run again, as receive stores
    a message once and a row already here creates nothing."""
    archive = db.session.get(ArchiveImport, archive_id)
    if archive is None:
        return "skipped"
    folder = current_app.instance_path
    if archive.kind == "csv":
        return archive_csv.run(archive_id, folder)
    return archive_mail.run(archive_id, folder)
