"""The reminder sweep: reads only the pledges whose next reminder is due (an indexed range)."""
from sqlalchemy import select

from . import reminders
from .extensions import db
from .models import EmailSuppression, InformationRequest, OutboxEmail, Pledge
from .notifications import reminder_facts, reminder_rules
from .outbox import queue_email

BATCH = 500


def sweep(now):
    """Write the outbox rows for every reminder due at `now`. Running it twice adds nothing:
    each pledge moves its next due time forward, and each reminder has a unique key."""
    rules = reminder_rules()
    due_ids = list(db.session.scalars(  # an index range scan: only what is due
        select(Pledge.id).where(Pledge.next_reminder_at <= now)))
    queued = 0
    for start in range(0, len(due_ids), BATCH):
        batch = db.session.scalars(select(Pledge).where(
            Pledge.id.in_(due_ids[start:start + BATCH])).order_by(Pledge.id)).all()
        queued += _remind(batch, rules, now)
        db.session.commit()
    return queued


def _remind(batch, rules, now):
    open_requests = _open_request_times([p.id for p in batch])
    opted_out = _opted_out({p.focal_email for p in batch if p.focal_email})
    planned = {}
    for pledge in batch:
        facts = reminder_facts(pledge, open_requests.get(pledge.id),
                               opted_out=pledge.focal_email in opted_out)
        planned[pledge.id] = (facts, reminders.due_now(facts, rules, now))
    already = _existing_keys([r.idempotency_key for _f, r in planned.values() if r])
    queued = 0
    for pledge in batch:
        facts, reminder = planned[pledge.id]
        if reminder is not None and pledge.focal_email:
            if reminder.idempotency_key not in already:
                queue_email(reminder.kind, pledge.focal_email, pledge.language,
                            reminder.idempotency_key, pledge_id=pledge.id,
                            context={"milestone": reminder.milestone},
                            suppressed=False, known_new=True)
                queued += 1
            pledge.reminders_sent = (pledge.reminders_sent or 0) + 1
            pledge.reminder_last_due = reminder.due_at
            facts = reminder_facts(pledge, open_requests.get(pledge.id),
                                   opted_out=pledge.focal_email in opted_out)
        pledge.next_reminder_at = reminders.next_due_at(facts, rules)
    return queued


def _existing_keys(keys):
    if not keys:
        return set()
    return set(db.session.scalars(select(OutboxEmail.idempotency_key).where(
        OutboxEmail.idempotency_key.in_(keys))))


def _open_request_times(pledge_ids):
    rows = db.session.execute(
        select(InformationRequest.pledge_id, InformationRequest.requested_at)
        .where(InformationRequest.pledge_id.in_(pledge_ids),
               InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.requested_at))
    return {pledge_id: requested_at for pledge_id, requested_at in rows}


def _opted_out(addresses):
    if not addresses:
        return set()
    return set(db.session.scalars(select(EmailSuppression.email).where(
        EmailSuppression.email.in_(addresses),
        EmailSuppression.scope.in_(["all", "reminders"]))))
