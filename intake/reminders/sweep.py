"""The reminder sweep: reads only the pledges whose next reminder is due (an indexed range)."""
from dataclasses import replace

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..clock import utcnow
from ..email.outbox import budget_used, normalise_address, queue_email, suppression_keys
from ..extensions import db
from ..models import EmailSuppression, InformationRequest, OutboxEmail, Pledge
from .planning import reminder_facts, reminder_rules
from .rules import REMINDER_KINDS, due_now, next_due_at

BATCH = 500
ATTEMPTS_PER_BATCH = 3
PLEDGE_COLUMNS = (Pledge.id, Pledge.version, Pledge.review_state, Pledge.last_activity_at,
                  Pledge.accepted_at, Pledge.last_update_at, Pledge.implementation_stage,
                  Pledge.reminders_sent, Pledge.reminder_last_due, Pledge.focal_email,
                  Pledge.language)


def sweep(now):
    """Write the outbox rows for every reminder due at `now`. Running it twice adds nothing:
    each pledge moves its next due time forward, and each reminder has a unique key."""
    rules = reminder_rules()
    due_ids = list(db.session.scalars(  # an index range scan: only what is due
        select(Pledge.id).where(Pledge.next_reminder_at <= now)))
    return sum(_sweep_batch(due_ids[start:start + BATCH], rules, now)
               for start in range(0, len(due_ids), BATCH))


def _sweep_batch(pledge_ids, rules, now):
    """One transaction for the batch. Another sweep (or a coordinator) that changed one of
    these pledges first makes the commit fail: the batch is then read and reminded again."""
    for attempt in range(1, ATTEMPTS_PER_BATCH + 1):
        batch = db.session.execute(select(*PLEDGE_COLUMNS).where(
            Pledge.id.in_(pledge_ids), Pledge.next_reminder_at <= now)
            .order_by(Pledge.id)).all()
        try:
            queued = _remind(batch, rules, now)
            db.session.commit()
            return queued
        except (IntegrityError, StaleDataError):
            db.session.rollback()
            if attempt == ATTEMPTS_PER_BATCH:
                raise


def _remind(batch, rules, now):
    """Queue the batch's due reminders and move each pledge's next due time forward."""
    open_requests = _open_request_times([p.id for p in batch])
    opted_out = _opted_out({normalise_address(p.focal_email) for p in batch if p.focal_email})
    planned = []
    for pledge in batch:
        facts = reminder_facts(pledge, open_requests.get(pledge.id),
                               opted_out=normalise_address(pledge.focal_email) in opted_out)
        reminder = due_now(facts, rules, now) if pledge.focal_email else None
        planned.append((pledge, facts, reminder))
    already = _existing_keys([r.idempotency_key for _p, _f, r in planned if r])
    # Each address's reminders of the last day, counted on as this batch adds some: a reminder
    # past the address's budget is written "over_budget" (never sent) and counts as done for its
    # pledge, so that an address with many drafts (someone else's flood) is not reminded of
    # them day after day.
    used = budget_used({p.focal_email for p, _f, r in planned if r}, REMINDER_KINDS)
    queued = 0
    bookkeeping = []
    for pledge, facts, reminder in planned:
        if reminder is not None:
            if reminder.idempotency_key not in already:
                address = normalise_address(pledge.focal_email)
                row = queue_email(reminder.kind, address, pledge.language,
                                  reminder.idempotency_key, pledge_id=pledge.id,
                                  context=reminder_context(reminder),
                                  suppressed=False, known_new=True,
                                  budget_used=used.get(address, 0))
                if row.status == "pending":
                    used[address] = used.get(address, 0) + 1
                    queued += 1
            facts = replace(facts, reminders_sent=facts.reminders_sent + 1,
                            last_due=reminder.due_at)
        bookkeeping.append({"b_id": pledge.id, "b_version": pledge.version,
                            "b_sent": facts.reminders_sent, "b_last_due": facts.last_due,
                            "b_next": next_due_at(facts, rules)})
    _save_bookkeeping(bookkeeping)
    return queued


def reminder_context(reminder):
    """What the email says of the review milestone it is for, if any: its forum and deadline."""
    deadline = reminder.deadline.isoformat() if reminder.deadline else None
    return {"milestone": reminder.milestone, "milestone_deadline": deadline}


def _save_bookkeeping(rows):
    """One statement for the whole batch (the ORM sends one UPDATE per versioned row). The
    version is checked and moved on as the ORM would: a pledge changed since it was read
    makes the count fall short."""
    if not rows:
        return
    table = Pledge.__table__
    statement = (update(table)
                 .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                 .values(reminders_sent=bindparam("b_sent"),
                         reminder_last_due=bindparam("b_last_due"),
                         next_reminder_at=bindparam("b_next"),
                         version=table.c.version + 1, updated_at=utcnow()))
    updated = db.session.connection().execute(statement, rows).rowcount
    if updated != len(rows):
        raise StaleDataError(f"{len(rows) - updated} of {len(rows)} pledges changed during "
                             f"the sweep")


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
    """The addresses that must not be reminded, held in clear or (once erased) by digest."""
    if not addresses:
        return set()
    by_key = {key: address for address in addresses for key in suppression_keys(address)}
    return {by_key[key] for key in db.session.scalars(select(EmailSuppression.email).where(
        EmailSuppression.email.in_(list(by_key)),
        EmailSuppression.scope.in_(["all", "reminders"])))}
