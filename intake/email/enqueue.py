"""RQ queues on the app's Redis. Jobs are enqueued by dotted name: the web never imports them."""
import re

from flask import current_app
from rq import Queue
from rq.job import Job, JobStatus

from ..clock import as_utc
from ..extensions import get_redis

SEND_JOB = "intake.worker.send_email"
IMPORT_JOB = "intake.worker.import_archive"
JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# A job in one of these states will still run: its row needs no other.
LIVE_JOB_STATES = frozenset(state.value for state in (
    JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED))


def email_queue():
    config = current_app.config
    return Queue(config["RQ_EMAIL_QUEUE"], connection=get_redis(),
                 default_timeout=config["RQ_JOB_TIMEOUT_SECONDS"])


def job_id(*parts):
    return JOB_ID_UNSAFE.sub("-", "-".join(str(part) for part in parts))


def send_job_id(email_id, at=None):
    """The one id a row's send job has: "send-email-<id>", or for a retry planned at a later
    time, "send-email-<id>-at-<unix time>" (that time is the row's next_attempt_at)."""
    if at is None:
        return job_id("send-email", email_id)
    return job_id("send-email", email_id, "at", int(as_utc(at).timestamp()))


def enqueue_send(email_id, at=None):
    """Best effort: when Redis is down the row stays pending and the dispatcher retries."""
    try:
        queue = email_queue()
        if at is None:
            queue.enqueue(SEND_JOB, email_id, job_id=send_job_id(email_id))
        else:
            queue.enqueue_at(at, SEND_JOB, email_id, job_id=send_job_id(email_id, at))
        return True
    except Exception as error:  # Redis down, flushed, timed out: the database keeps the truth
        current_app.logger.warning("Could not enqueue email %s: %s", email_id, error)
        return False


def enqueue_sends(email_ids):
    """All of a commit's emails in one round trip to Redis."""
    if len(email_ids) == 1:
        return enqueue_send(email_ids[0])
    try:
        enqueue_new_sends(email_ids)
        return True
    except Exception as error:  # as in enqueue_send: the dispatcher will find them
        current_app.logger.warning("Could not enqueue %d emails: %s", len(email_ids), error)
        return False


def without_live_job(rows):
    """The ids of the (id, next_attempt_at, attempts) rows that no job waits for or runs: one
    pipelined round trip to Redis for the page. A row never tried has only its first job; one
    tried may have a retry planned at its next attempt. A job that finished, failed or was
    stopped is not live (its row, still pending, needs a new one). Raises RedisError when Redis
    is down."""
    pipeline = get_redis().pipeline(transaction=False)
    asked = []  # the row's id, once per job id asked about
    for email_id, next_attempt_at, attempts in rows:
        candidates = [send_job_id(email_id)]
        if attempts:
            candidates.append(send_job_id(email_id, next_attempt_at))
        for candidate in candidates:
            pipeline.hget(Job.key_for(candidate), "status")
            asked.append(email_id)
    live = {email_id for email_id, state in zip(asked, pipeline.execute(), strict=True)
            if _text(state) in LIVE_JOB_STATES}
    return [email_id for email_id, _at, _attempts in rows if email_id not in live]


def _text(state):
    return state.decode() if isinstance(state, bytes) else state


def enqueue_new_sends(email_ids):
    """A send job for each of these rows, in one round trip (raises when Redis is down)."""
    if email_ids:
        email_queue().enqueue_many([
            Queue.prepare_data(SEND_JOB, (email_id,), job_id=send_job_id(email_id))
            for email_id in email_ids])
    return len(email_ids)


def enqueue_import(archive_id):
    """An archive import, after its row is committed. Best effort: when Redis is down the import
    stays queued and its page offers to start it again."""
    try:
        email_queue().enqueue(IMPORT_JOB, archive_id, job_id=job_id("archive-import", archive_id),
                              job_timeout=current_app.config["ARCHIVE_IMPORT_TIMEOUT_SECONDS"])
        return True
    except Exception as error:
        current_app.logger.warning("Could not enqueue archive import %s: %s", archive_id, error)
        return False
