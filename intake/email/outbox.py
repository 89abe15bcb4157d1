"""The outbox: an email is a row written in the transaction that causes it.

After that transaction commits, a job is enqueued by the row's id. Redis only carries hints:
if the enqueue fails, the dispatcher finds the row still pending and enqueues it again.
"""
import hashlib
from datetime import timedelta
from email.utils import make_msgid
from typing import NamedTuple

from flask import current_app
from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import IntegrityError

from ..clock import utcnow
from ..extensions import db
from ..models import EmailSuppression, OutboxEmail
from .enqueue import enqueue_sends
from .faults import MESSAGE
from .kinds import LINK_KINDS, REMINDER_KINDS, is_reminder
from .wire import message_id_domain

TO_ENQUEUE = "outbox_ids_to_enqueue"  # in session.info: rows to hand to the queue after commit


def normalise_address(address):
    return (address or "").strip().lower()


def address_digest(address):
    """The SHA-256 of a normalised address: recognises an address typed again, never tells it."""
    return hashlib.sha256(normalise_address(address).encode("utf-8")).hexdigest()


def digest_key(address):
    """How a suppression outlives the erasure of its address (intake/privacy): by digest."""
    return "sha256:" + address_digest(address)


def suppression_keys(address):
    return [normalise_address(address), digest_key(address)]


def is_suppressed(address, kind):
    scopes = ["all", "reminders"] if is_reminder(kind) else ["all"]
    return db.session.scalar(
        select(EmailSuppression.email).where(
            EmailSuppression.email.in_(suppression_keys(address)),
            EmailSuppression.scope.in_(scopes),
        ).limit(1)
    ) is not None


def suppress(address, scope, reason):
    address = normalise_address(address)
    exists = db.session.get(EmailSuppression, (address, scope))
    if exists is None:
        db.session.add(EmailSuppression(email=address, scope=scope, reason=reason))


# --- a budget per recipient -----------------------------------------------------------------

# However often a page is posted, and from however many places, one address gets at most so many
# emails of a kind of email in a rolling day: private links (a draft's own, "email me my link")
# and reminders each have their budget, as do the emails of a public offer of support. An email
# over it is still written, with the status "over_budget" and the reason in last_error, and
# never sent: its idempotency key stays taken (asking again adds nothing), coordinators see it
# in the pledge's timeline, and it is logged.
BUDGETS = {
    **{kind: ("EMAIL_LINK_BUDGET_PER_DAY", LINK_KINDS) for kind in LINK_KINDS},
    **{kind: ("EMAIL_REMINDER_BUDGET_PER_DAY", REMINDER_KINDS) for kind in REMINDER_KINDS},
    # The public "offer support" form: the partner's acknowledgement, and the coordinators'
    # notice of each new offer (past it, the offers are still in the Matches view).
    "offer_received": ("EMAIL_OFFER_BUDGET_PER_DAY", ("offer_received",)),
    "offer_new": ("EMAIL_OFFER_NOTICE_BUDGET_PER_DAY", ("offer_new",)),
}
BUDGET_WINDOW = timedelta(days=1)
NOT_SENT = ("over_budget", "suppressed", "skipped")  # they take nothing from the budget


def budget_of(kind):
    """(the most a day, the kinds that share that budget), or None for a kind without one."""
    if kind not in BUDGETS:
        return None
    setting, kinds = BUDGETS[kind]
    return current_app.config[setting], kinds


def lock_recipient(address):
    """Requests for one address count its budget one after the other: on PostgreSQL a lock held
    until the transaction ends. SQLite has one writer at a time: a new draft's link is counted
    after the draft's insert, which holds the write lock until the commit."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"outbox:{normalise_address(address)}".encode()).digest()
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                       {"key": int.from_bytes(digest[:8], "big", signed=True)})


def budget_used(addresses, kinds, now=None):
    """{address: emails of these kinds it was sent, or is about to be, in the last day}, for
    many addresses in one query (the sweep's batch)."""
    since = (now or utcnow()) - BUDGET_WINDOW
    rows = db.session.execute(
        select(OutboxEmail.recipient, func.count())
        .where(OutboxEmail.recipient.in_([normalise_address(a) for a in addresses]),
               OutboxEmail.kind.in_(kinds), OutboxEmail.created_at > since,
               OutboxEmail.status.not_in(NOT_SENT))
        .group_by(OutboxEmail.recipient))
    return dict(rows.all())


def over_budget(kind, address, used=None):
    """Why this email would go past its recipient's budget, or None. `used`: what a caller that
    counted in bulk already knows; otherwise it is counted here, under the address's lock."""
    budget = budget_of(kind)
    if budget is None:
        return None
    most, kinds = budget
    if used is None:
        lock_recipient(address)
        used = budget_used([address], kinds).get(normalise_address(address), 0)
    if used < most:
        return None
    return (f"Not sent: this address already had {used} emails of this kind in the last 24 "
            f"hours (the budget is {most} a day).")


def queue_email(kind, recipient, language, idempotency_key, context=None, pledge_id=None,
                suppressed=None, known_new=False, budget_used=None):
    """Add the email to the current transaction; the same key is only ever queued once.

    Returns the row, or None when that key was already queued. A row past its recipient's
    budget is written as "over_budget", never sent. A caller that has already looked up the
    suppression list, the existing keys and the budget in bulk (the sweep) says so; the row
    is then added without a savepoint, and that caller handles a concurrent writer's duplicate
    key when it commits."""
    if not known_new and db.session.scalar(
            select(OutboxEmail.id).where(OutboxEmail.idempotency_key == idempotency_key)):
        return None
    if suppressed is None:
        suppressed = is_suppressed(recipient, kind)
    over = None if suppressed else over_budget(kind, recipient, budget_used)
    if over:
        current_app.logger.warning("Email %s (%s) over its recipient's budget, not sent: %s",
                                   kind, idempotency_key, over)
    email = OutboxEmail(
        kind=kind,
        recipient=normalise_address(recipient),
        language=language or "en",
        idempotency_key=idempotency_key,
        message_id=make_msgid(domain=message_id_domain(current_app.config)),
        status="suppressed" if suppressed else "over_budget" if over else "pending",
        last_error=over,
        next_attempt_at=utcnow(),
        context=context or {},
        pledge_id=pledge_id,
    )
    if known_new or db.session.get_bind().dialect.name == "sqlite":
        # SQLite serialises writers, and its driver would commit a savepoint opened first
        # in a transaction: no savepoint there.
        db.session.add(email)
        return email
    try:
        with db.session.begin_nested():  # a concurrent writer may hold the same key
            db.session.add(email)
    except IntegrityError:
        return None
    return email


# --- after commit: hand the new rows to the queue -----------------------------------------


def _collect_new_emails(session, _flush_context):
    # In after_flush, session.new still lists what this flush inserted, ids now assigned.
    new_ids = session.info.setdefault(TO_ENQUEUE, set())
    new_ids.update(obj.id for obj in session.new
                   if isinstance(obj, OutboxEmail) and obj.status == "pending")


def enqueue_after_commit(email):
    """A row made pending again (an admin's retry) goes to the queue once the change commits."""
    db.session.info.setdefault(TO_ENQUEUE, set()).add(email.id)


def _enqueue_after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint was released: the rows are not committed yet
    ids = session.info.pop(TO_ENQUEUE, None)
    if ids:
        enqueue_sends(sorted(ids))


def _forget_after_rollback(session, previous_transaction):
    # A savepoint rolled back (a duplicate key) leaves the outer transaction's emails queued;
    # an id that never got committed is skipped by the job, which finds no row.
    if not previous_transaction.nested:
        session.info.pop(TO_ENQUEUE, None)


def init_app(app):
    listeners = [("after_flush", _collect_new_emails), ("after_commit", _enqueue_after_commit),
                 ("after_soft_rollback", _forget_after_rollback)]
    for name, listener in listeners:  # once per process, however many apps are made
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


# --- the life of a row ---------------------------------------------------------------------


# Each of these changes the row in the caller's transaction: the worker commits.


def max_attempts():
    return current_app.config["EMAIL_MAX_ATTEMPTS"]


def claim(email_id, now=None):
    """Take the row for sending (None if another job has it, it is not due, or it has no
    attempt left). Only one claimer wins once committed: a job run twice sends once."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.status == "pending",
               OutboxEmail.next_attempt_at <= now, OutboxEmail.attempts < max_attempts())
        .values(status="sending", claimed_at=now, attempts=OutboxEmail.attempts + 1)
    ).rowcount == 1
    return db.session.get(OutboxEmail, email_id) if claimed else None


def mark_sent(email, now=None):
    email.status = "sent"
    email.sent_at = email.last_attempt_at = now or utcnow()
    email.last_error = email.fault = None


def retry_delay(attempts):
    delays = current_app.config["EMAIL_RETRY_DELAYS"]
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1])


def record_failure(email, fault, now=None):
    """The attempt failed with this fault (intake/email/faults.py). Only a refusal of that
    recipient suppresses the address. A fault that may pass (our setup, the recipient's side
    for now) puts the row back to pending with a later attempt time, which is returned;
    otherwise, or once the attempts run out, the row is failed with its reason (None)."""
    now = now or utcnow()
    email.last_error = fault.reason[:2000]
    email.fault = fault.kind
    email.last_attempt_at = now
    email.claimed_at = None
    if fault.suppresses:
        suppress(email.recipient, "all", f"Refused by the recipient's server: {fault.reason[:500]}")
    if fault.retries and email.attempts < max_attempts():
        email.status = "pending"
        email.next_attempt_at = now + retry_delay(email.attempts)
        return email.next_attempt_at
    email.status = "failed"
    return None


def mark_suppressed(email):
    email.status = "suppressed"


def mark_skipped(email, reason):
    """No longer true at its turn to leave (intake/email/still_true.py): never sent."""
    email.status = "skipped"
    email.last_error = reason[:2000]
    email.claimed_at = None


def retry(email, now=None):
    """An admin's retry of a failed row: pending again with every attempt back, sent (to the
    queue) once the caller commits. The last error stays until an attempt ends. False if the
    row is not failed."""
    if email.status != "failed":
        return False
    email.status = "pending"
    email.attempts = 0
    email.claimed_at = None
    email.next_attempt_at = now or utcnow()
    enqueue_after_commit(email)
    return True


class Rescued(NamedTuple):
    """What rescue_stuck moved: the ids of the rows it sends again, and how many it failed."""
    sent_again: frozenset
    failed: int


def rescue_stuck(now=None):
    """Rows left 'sending' by a worker that died mid-send go back to pending, if they have an
    attempt left; otherwise they end failed. Pending rows with no attempt left (the limit was
    lowered) end failed too: the attempt limit always holds.

    The same Message-ID is reused, so a receiver that did get the first copy can drop the
    second."""
    now = now or utcnow()
    stuck = left_sending(now)
    limit = max_attempts()
    sent_again = frozenset(db.session.scalars(
        update(OutboxEmail)
        .where(*stuck, OutboxEmail.attempts < limit)
        .values(status="pending", next_attempt_at=OutboxEmail.claimed_at, claimed_at=None,
                last_error="The worker stopped while sending; sent again.")
        .returning(OutboxEmail.id)))
    gave_up = db.session.execute(
        update(OutboxEmail)
        .where(*stuck, OutboxEmail.attempts >= limit)
        .values(status="failed", claimed_at=None, fault=MESSAGE, last_attempt_at=now,
                last_error="The worker stopped while sending it, at the last attempt allowed: "
                           "not tried again.")
    ).rowcount
    exhausted = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == "pending", OutboxEmail.attempts >= limit)
        .values(status="failed", last_error=func.coalesce(
            OutboxEmail.last_error, "No attempt left under the attempt limit."))
    ).rowcount
    return Rescued(sent_again, gave_up + exhausted)


def left_sending(now):
    """The conditions of a row left "sending" by a worker that is gone."""
    stuck_before = now - timedelta(seconds=current_app.config["EMAIL_STUCK_AFTER_SECONDS"])
    return OutboxEmail.status == "sending", OutboxEmail.claimed_at < stuck_before


def due_pending_page(due_by, after_id=0, limit=1000):
    """A page of (id, next_attempt_at, attempts) of the rows pending and due by then, in id
    order after `after_id` (the previous page's last id)."""
    return db.session.execute(
        select(OutboxEmail.id, OutboxEmail.next_attempt_at, OutboxEmail.attempts)
        .where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= due_by,
               OutboxEmail.id > after_id)
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
