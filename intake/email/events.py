"""Which emails an event causes. Called inside the event's transaction: the rows commit with it."""
from datetime import datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from . import reminders
from .extensions import db
from .models import InformationRequest, Pledge
from .outbox import is_suppressed, queue_email
from .pledges import as_utc


def coordinator_addresses():
    return current_app.config["COORDINATOR_EMAILS"]


def draft_started(pledge):
    queue_email("resume_link", pledge.focal_email, pledge.language,
                f"resume:{pledge.id}:start", pledge_id=pledge.id)


def link_requested(address, now):
    """'Email me my link': one email per draft of that address, at most once an hour.
    The caller answers the same way whether or not the address is known."""
    drafts = db.session.scalars(select(Pledge).where(
        Pledge.focal_email == address.strip().lower(), Pledge.review_state == "draft"))
    for pledge in drafts:
        queue_email("resume_link", pledge.focal_email, pledge.language,
                    f"resume:{pledge.id}:request:{now:%Y%m%d%H}", pledge_id=pledge.id)


def pledge_submitted(pledge):
    queue_email("acknowledgement", pledge.focal_email, pledge.language, f"ack:{pledge.id}",
                pledge_id=pledge.id)
    if current_app.config["COORDINATOR_DIGEST"]:
        return  # the daily digest lists it
    for address in coordinator_addresses():
        queue_email("coordinator_new_pledge", address, "en",
                    f"coordinator-new:{pledge.id}:{address}", pledge_id=pledge.id)


def queue_coordinator_digest(now):
    """Yesterday's submissions, once per coordinator per day (re-running adds nothing)."""
    if not current_app.config["COORDINATOR_DIGEST"]:
        return 0
    day = (now - timedelta(days=1)).date()
    start = datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    submitted = db.session.scalars(select(Pledge).where(
        Pledge.submitted_at >= start, Pledge.submitted_at < start + timedelta(days=1))
        .order_by(Pledge.submitted_at)).all()
    if not submitted:
        return 0
    summary = [{"reference": p.reference, "city": p.city, "title": p.title} for p in submitted]
    queued = 0
    for address in coordinator_addresses():
        row = queue_email("coordinator_digest", address, "en", f"digest:{day}:{address}",
                          context={"day": day.isoformat(), "pledges": summary})
        queued += row is not None
    db.session.commit()
    return queued


# --- reminders ----------------------------------------------------------------------------


def reminder_rules():
    config = current_app.config
    return reminders.ReminderRules(
        draft_after=tuple(timedelta(days=d) for d in config["REMINDER_DRAFT_DAYS"]),
        information_after=tuple(timedelta(days=d) for d in config["REMINDER_INFORMATION_DAYS"]),
        update_every=timedelta(days=config["REMINDER_UPDATE_EVERY_DAYS"]),
        milestones=tuple(reminders.Milestone(name, day)
                         for name, day in config["REVIEW_MILESTONES"]),
        milestone_lead=timedelta(days=config["REMINDER_MILESTONE_LEAD_DAYS"]),
        max_per_pledge=config["REMINDER_MAX_PER_PLEDGE"],
    )


def reminder_facts(pledge, open_request_at=None, opted_out=None):
    if opted_out is None:
        opted_out = bool(pledge.focal_email) and is_suppressed(pledge.focal_email,
                                                              reminders.DRAFT)
    return reminders.ReminderFacts(
        pledge_id=pledge.id,
        review_state=pledge.review_state,
        last_activity_at=pledge.last_activity_at and as_utc(pledge.last_activity_at),
        open_request_at=open_request_at and as_utc(open_request_at),
        accepted_at=pledge.accepted_at and as_utc(pledge.accepted_at),
        last_update_at=pledge.last_update_at and as_utc(pledge.last_update_at),
        implementation_stage=pledge.implementation_stage,
        reminders_sent=pledge.reminders_sent or 0,
        last_due=pledge.reminder_last_due and as_utc(pledge.reminder_last_due),
        opted_out=opted_out,
    )


def open_request_time(pledge_id):
    return db.session.scalar(select(InformationRequest.requested_at).where(
        InformationRequest.pledge_id == pledge_id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.requested_at.desc()).limit(1))


def plan_reminders(pledge):
    """After anything the pledge's people do: when is the next reminder due, if ever."""
    db.session.flush()
    facts = reminder_facts(pledge, open_request_time(pledge.id))
    pledge.next_reminder_at = reminders.next_due_at(facts, reminder_rules())


def contact_acted(pledge, now):
    pledge.last_activity_at = now
    plan_reminders(pledge)
