"""Email problems, for /healthz and the coordinators' page: whether our sending setup works,
the rows that failed or wait for another attempt, the suppressed addresses; and what an admin
may do about them (retry failed rows, lift a suppression), audited in the caller's
transaction. No HTTP here."""
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..models import EmailSuppression, OutboxEmail, Pledge
from ..pledges.audit import record
from . import outbox
from .faults import MESSAGE, SETUP, head_of

LIFTABLE_SCOPES = ("all",)  # a refusal; an unsubscribe ("reminders") is the person's choice
SCOPE_LABELS = {
    "all": _l("Every email: the recipient's server refused the address"),
    "reminders": _l("Reminders: the person unsubscribed"),
}


def scope_label(scope):
    return SCOPE_LABELS.get(scope, scope)


@dataclass(frozen=True)
class SendingAlert:
    """The newest attempt to reach SMTP failed for a fault of our own setup."""
    reason: str  # the row's last error, the server's words included
    at: datetime

    @property
    def head(self):
        """The reply code, enhanced status and stage, without the server's words: "535 5.7.8
        at AUTH" (what /healthz shows the world)."""
        return head_of(self.reason)


def sending_alert():
    """The alert, or None while sending works: read from the newest attempt that reached for
    SMTP (a message that could not be built says nothing about the setup). It lasts until an
    attempt gets through, or fails for a reason of the recipient's."""
    newest = db.session.execute(
        select(OutboxEmail.fault, OutboxEmail.last_error, OutboxEmail.last_attempt_at)
        .where(OutboxEmail.last_attempt_at.is_not(None),
               or_(OutboxEmail.fault.is_(None), OutboxEmail.fault != MESSAGE))
        .order_by(OutboxEmail.last_attempt_at.desc())
        .limit(1)
    ).first()
    if newest is None or newest.fault != SETUP:
        return None
    return SendingAlert(reason=newest.last_error or "", at=newest.last_attempt_at)


@dataclass(frozen=True)
class Listing:
    rows: list
    total: int


def _listing(query, count_query, limit):
    return Listing(rows=list(db.session.scalars(query.limit(limit))),
                   total=db.session.scalar(count_query))


def failed_emails(limit=200):
    """Failed rows, newest attempt first."""
    failed = OutboxEmail.status == "failed"
    return _listing(
        select(OutboxEmail).where(failed)
        .order_by(OutboxEmail.last_attempt_at.desc().nulls_last(), OutboxEmail.id.desc()),
        select(func.count()).select_from(OutboxEmail).where(failed), limit)


def retrying_emails(limit=200):
    """Rows waiting for another attempt after a failed one, next attempt first."""
    retrying = (OutboxEmail.status == "pending", OutboxEmail.last_error.is_not(None))
    return _listing(
        select(OutboxEmail).where(*retrying).order_by(OutboxEmail.next_attempt_at),
        select(func.count()).select_from(OutboxEmail).where(*retrying), limit)


def suppressed_addresses(limit=200):
    return _listing(
        select(EmailSuppression).order_by(EmailSuppression.created_at.desc(),
                                          EmailSuppression.email),
        select(func.count()).select_from(EmailSuppression), limit)


def pledge_references(*listings):
    """{pledge id: reference or None} for the rows of these listings, in one query."""
    ids = {row.pledge_id for listing in listings for row in listing.rows if row.pledge_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Pledge.id, Pledge.reference)
                                   .where(Pledge.id.in_(ids))).all())


# --- what an admin may do -------------------------------------------------------------------


def masked(address):
    """The audit names an address without keeping it: "a…@city.example"."""
    local, _, domain = (address or "").partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


def without_address(text, address):
    """A server's words often repeat the address: the audit keeps them, masked."""
    if not text or not address:
        return text
    return re.sub(re.escape(address), masked(address), text, flags=re.IGNORECASE)


def retry_email(email, actor):
    """A failed row goes back to pending with its attempts reset, and to the queue after the
    commit. False if it is not failed (already retried, or sent meanwhile)."""
    before = {"status": email.status, "attempts": email.attempts, "fault": email.fault,
              "last_error": without_address(email.last_error, email.recipient)}
    if not outbox.retry(email):
        return False
    record(actor, "email_retried", pledge_id=email.pledge_id, before=before,
           after={"email_id": email.id, "kind": email.kind, "status": email.status})
    return True


def retry_failed_emails(actor, limit=1000):
    """Every failed row (up to limit, oldest first), retried; returns how many."""
    rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.status == "failed")
                              .order_by(OutboxEmail.id).limit(limit))
    return sum(1 for email in rows if retry_email(email, actor))


def lift_suppression(address, scope, actor):
    """The address may be written to again. False if there was no such suppression, or it is
    an unsubscribe (only the person may change their mind)."""
    if scope not in LIFTABLE_SCOPES:
        return False
    suppression = db.session.get(EmailSuppression, (outbox.normalise_address(address), scope))
    if suppression is None:
        return False
    record(actor, "email_suppression_lifted",
           before={"address": masked(suppression.email), "scope": scope,
                   "reason": without_address(suppression.reason, suppression.email),
                   "since": suppression.created_at})
    db.session.delete(suppression)
    return True
