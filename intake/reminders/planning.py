"""When a pledge's next reminder falls due: the rules built from config (at the edge), the
facts read from the pledge, and the bookkeeping after anything its people do. The update
reminders' period is also when an accepted pledge's update falls due (update_rules)."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..clock import as_utc
from ..extensions import db
from ..models import InformationRequest
from ..pledges import update_states
from . import rules


def update_period():
    """REMINDER_UPDATE_EVERY_DAYS: how often an accepted pledge is asked for an update."""
    return timedelta(days=current_app.config["REMINDER_UPDATE_EVERY_DAYS"])


def update_rules():
    """When an accepted pledge's update is due (one update period after its last report or its
    acceptance, as the reminder asks for it), and overdue (UPDATE_GRACE_DAYS later)."""
    return update_states.UpdateRules(
        period=update_period(), grace=timedelta(days=current_app.config["UPDATE_GRACE_DAYS"]))


def reminder_rules():
    config = current_app.config
    return rules.ReminderRules(
        draft_after=tuple(timedelta(days=d) for d in config["REMINDER_DRAFT_DAYS"]),
        information_after=tuple(timedelta(days=d) for d in config["REMINDER_INFORMATION_DAYS"]),
        update_every=update_period(),
        milestones=tuple(rules.Milestone(name, day)
                         for name, day in config["REVIEW_MILESTONES"]),
        milestone_lead=timedelta(days=config["REMINDER_MILESTONE_LEAD_DAYS"]),
        max_per_pledge=config["REMINDER_MAX_PER_PLEDGE"],
    )


def reminder_facts(pledge, open_request_at=None, opted_out=False):
    return rules.ReminderFacts(
        pledge_id=pledge.id,
        review_state=pledge.review_state,
        last_activity_at=as_utc(pledge.last_activity_at),
        open_request_at=as_utc(open_request_at),
        accepted_at=as_utc(pledge.accepted_at),
        last_update_at=as_utc(pledge.last_update_at),
        implementation_stage=pledge.implementation_stage,
        reminders_sent=pledge.reminders_sent or 0,
        last_due=as_utc(pledge.reminder_last_due),
        opted_out=opted_out,
    )


def open_request_time(pledge_id):
    return db.session.scalar(select(InformationRequest.requested_at).where(
        InformationRequest.pledge_id == pledge_id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.requested_at.desc()).limit(1))


def plan_reminders(pledge):
    """After anything the pledge's people do: when is the next reminder due, if ever.

    Computed from the pledge as it is in the transaction, without a flush, so that a step save
    writes the pledge once. The only read is the open request's time, and only while the pledge
    waits for an answer (the plan reads it in no other state). Whether the address
    unsubscribed is not looked up on every save: the sweep looks up a whole batch when their
    reminders fall due (and stops planning for an address that did), and the worker checks
    again before sending."""
    waiting_for_answer = pledge.review_state == "information_requested" and pledge.id
    facts = reminder_facts(pledge, open_request_time(pledge.id) if waiting_for_answer else None)
    pledge.next_reminder_at = rules.next_due_at(facts, reminder_rules())


def contact_acted(pledge, now):
    pledge.last_activity_at = now
    plan_reminders(pledge)
