"""Which reminder is due at a given moment: pure functions of a pledge's facts and the rules.

Nothing here reads the clock or the database, so tests can travel through time freely.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..clock import midnight

DRAFT = "reminder_draft"
INFORMATION = "reminder_information"
UPDATE = "reminder_update"
REMINDER_KINDS = (DRAFT, INFORMATION, UPDATE)


@dataclass(frozen=True)
class Milestone:
    """A review forum's reporting deadline, such as the IMRF's."""

    name: str
    deadline: date


@dataclass(frozen=True)
class ReminderRules:
    draft_after: tuple[timedelta, ...] = (timedelta(days=3), timedelta(days=10))
    information_after: tuple[timedelta, ...] = (timedelta(days=7),)
    update_every: timedelta = timedelta(days=182)
    updates_planned_ahead: int = 4
    milestones: tuple[Milestone, ...] = ()
    milestone_lead: timedelta = timedelta(days=30)
    max_per_pledge: int = 6


@dataclass(frozen=True)
class ReminderFacts:
    pledge_id: int
    review_state: str
    last_activity_at: datetime | None = None
    open_request_at: datetime | None = None  # an unanswered request for information
    accepted_at: datetime | None = None
    last_update_at: datetime | None = None
    implementation_stage: str | None = None
    reminders_sent: int = 0
    last_due: datetime | None = None  # due time of the last reminder sent
    opted_out: bool = False


@dataclass(frozen=True)
class Reminder:
    kind: str
    pledge_id: int
    due_at: datetime
    milestone: str | None = field(default=None, compare=False)
    deadline: date | None = field(default=None, compare=False)  # the milestone's

    @property
    def idempotency_key(self):
        return f"{self.kind}:{self.pledge_id}:{self.due_at.strftime('%Y%m%dT%H%M%S')}"


def schedule(facts, rules):
    """Every reminder the pledge's current situation calls for, in time order."""
    if facts.opted_out:
        return []
    if facts.review_state == "draft" and facts.last_activity_at:
        anchor = facts.last_activity_at
        plan = [Reminder(DRAFT, facts.pledge_id, anchor + after) for after in rules.draft_after]
    elif facts.review_state == "information_requested" and facts.open_request_at:
        anchor = facts.open_request_at
        plan = [Reminder(INFORMATION, facts.pledge_id, anchor + after)
                for after in rules.information_after]
    elif (facts.review_state == "accepted" and facts.implementation_stage != "fulfilled"
          and (facts.last_update_at or facts.accepted_at)):
        anchor = facts.last_update_at or facts.accepted_at
        plan = [Reminder(UPDATE, facts.pledge_id, anchor + rules.update_every * k)
                for k in range(1, rules.updates_planned_ahead + 1)]
        for milestone in rules.milestones:
            due = midnight(milestone.deadline) - rules.milestone_lead
            if due > anchor:
                plan.append(Reminder(UPDATE, facts.pledge_id, due, milestone.name,
                                     milestone.deadline))
    else:
        return []
    return sorted(plan, key=lambda reminder: reminder.due_at)


def _still_to_send(facts, rules):
    if facts.reminders_sent >= rules.max_per_pledge:
        return []
    return [r for r in schedule(facts, rules)
            if facts.last_due is None or r.due_at > facts.last_due]


def due_now(facts, rules, now):
    """The one reminder to send now, or None. When several fell due while nobody swept
    (the worker was down), only the latest is sent: one nudge, not a burst."""
    passed = [r for r in _still_to_send(facts, rules) if r.due_at <= now]
    return passed[-1] if passed else None


def next_due_at(facts, rules):
    """When the sweep should next look at this pledge (None: nothing more is planned)."""
    upcoming = _still_to_send(facts, rules)
    return upcoming[0].due_at if upcoming else None
