"""RQ queues on the app's Redis. Jobs are enqueued by dotted name: the web never imports them."""
import re

from flask import current_app
from rq import Queue

from ..extensions import get_redis

SEND_JOB = "intake.worker.send_email"
IMPORT_JOB = "intake.worker.import_archive"
JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def email_queue():
    config = current_app.config
    return Queue(config["RQ_EMAIL_QUEUE"], connection=get_redis(),
                 default_timeout=config["RQ_JOB_TIMEOUT_SECONDS"])


def job_id(*parts):
    return JOB_ID_UNSAFE.sub("-", "-".join(str(part) for part in parts))


def enqueue_send(email_id, at=None):
    """Best effort: when Redis is down the row stays pending and the dispatcher retries."""
    try:
        queue = email_queue()
        if at is None:
            queue.enqueue(SEND_JOB, email_id, job_id=job_id("send-email", email_id))
        else:
            queue.enqueue_at(at, SEND_JOB, email_id, job_id=job_id("send-email", email_id, "at",
                                                                   int(at.timestamp())))
        return True
    except Exception as error:  # Redis down, flushed, timed out: the database keeps the truth
        current_app.logger.warning("Could not enqueue email %s: %s", email_id, error)
        return False


def enqueue_sends(email_ids):
    """All of a commit's emails in one round trip to Redis."""
    if len(email_ids) == 1:
        return enqueue_send(email_ids[0])
    try:
        queue = email_queue()
        queue.enqueue_many([
            Queue.prepare_data(SEND_JOB, (email_id,), job_id=job_id("send-email", email_id))
            for email_id in email_ids])
        return True
    except Exception as error:  # as in enqueue_send: the dispatcher will find them
        current_app.logger.warning("Could not enqueue %d emails: %s", len(email_ids), error)
        return False


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
