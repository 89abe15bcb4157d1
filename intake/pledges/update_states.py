"""Whether the city of an accepted pledge has gone silent: its update state at a moment `now`.

Plain rules: no HTTP, no database, no clock (`now` is given), so tests can travel in time.

Which pledges have an update state: those accepted and not fulfilled. Any other pledge (not
accepted, or accepted and fulfilled) has none (update_state gives None).

Counted from ("since"): the city's last progress report (last_report_at) or, when it never sent
one, the acceptance (accepted_at). The period is the update reminders' (REMINDER_UPDATE_EVERY_DAYS:
the reminder asks for the update the moment it falls due); the grace is UPDATE_GRACE_DAYS.

- **update due**: the period has passed since then: now >= since + period;
- **update overdue**: the grace has passed too: now >= since + period + grace;
- **no update ever received**: never reported, and accepted at least one period ago
  (now >= accepted_at + period);
- **up to date**: none of them.

They are not exclusive, and each filter (and its tab count) lists every pledge it is true of:
- "update due" lists every pledge that owes an update, however late: overdue ones and those
  that never sent any included;
- "update overdue" lists those due past the grace, whether or not they ever reported;
- "no update ever received" lists every accepted (not fulfilled) pledge with no report accepted
  at least one period ago, past the grace or not. A pledge never reported and past period + grace
  is both overdue and never received.

So overdue ⊂ due and never received ⊂ due. A row shows the most urgent of up to date, due and
overdue (UpdateState.key), and "no update ever received" beside it when true (keys).

An accepted pledge with neither an acceptance date nor a report has nothing to count from: it is
up to date (as the queue's SQL, where the missing date compares as unknown, has it too).

The queue filters and counts in SQL with the same rule as moments (thresholds): a pledge is due
when `since` is at or before Thresholds.due, overdue when at or before Thresholds.overdue.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import as_utc
from ..extensions import lazy_gettext as _l

ACCEPTED = "accepted"
FULFILLED = "fulfilled"

UP_TO_DATE = "up_to_date"
DUE = "due"
OVERDUE = "overdue"
NEVER = "never"

# The queue's filter ("update=..." in its URL) and its tabs, in this order.
FILTERS = {
    DUE: _l("Update due"),
    OVERDUE: _l("Update overdue"),
    NEVER: _l("No update ever received"),
}
LABELS = {
    UP_TO_DATE: _l("Up to date"),
    DUE: FILTERS[DUE],
    OVERDUE: FILTERS[OVERDUE],
    NEVER: FILTERS[NEVER],
}


@dataclass(frozen=True)
class UpdateRules:
    period: timedelta = timedelta(days=182)  # REMINDER_UPDATE_EVERY_DAYS
    grace: timedelta = timedelta(days=30)  # UPDATE_GRACE_DAYS


@dataclass(frozen=True)
class UpdateFacts:
    review_state: str
    implementation_stage: str | None = None
    accepted_at: datetime | None = None
    last_report_at: datetime | None = None

    @classmethod
    def of(cls, pledge):
        """The facts of a pledge (or any row with these attributes), in UTC."""
        return cls(review_state=pledge.review_state,
                   implementation_stage=pledge.implementation_stage,
                   accepted_at=as_utc(pledge.accepted_at),
                   last_report_at=as_utc(pledge.last_report_at))


@dataclass(frozen=True)
class Thresholds:
    """At `now`: a pledge whose `since` is at or before `due` is due; at or before `overdue`,
    overdue."""

    due: datetime
    overdue: datetime


@dataclass(frozen=True)
class UpdateState:
    since: datetime | None  # the last report, or the acceptance
    due: bool
    overdue: bool
    never_received: bool

    @property
    def key(self):
        """The most urgent of UP_TO_DATE, DUE, OVERDUE."""
        if self.overdue:
            return OVERDUE
        return DUE if self.due else UP_TO_DATE

    def is_listed_by(self, update_filter):
        """Whether the queue's filter DUE, OVERDUE or NEVER lists this pledge."""
        return {DUE: self.due, OVERDUE: self.overdue, NEVER: self.never_received}[update_filter]

    @property
    def keys(self):
        """What a row shows (keys of LABELS): the key, and NEVER when never received."""
        return [self.key] + ([NEVER] if self.never_received else [])


def has_update_state(review_state, implementation_stage):
    return review_state == ACCEPTED and implementation_stage != FULFILLED


def thresholds(rules, now):
    return Thresholds(due=now - rules.period, overdue=now - rules.period - rules.grace)


def update_state(facts, rules, now):
    """The UpdateState of the pledge at `now`, or None when it has none (see the module)."""
    if not has_update_state(facts.review_state, facts.implementation_stage):
        return None
    limits = thresholds(rules, now)
    since = facts.last_report_at or facts.accepted_at
    due = since is not None and since <= limits.due
    return UpdateState(since=since, due=due,
                       overdue=since is not None and since <= limits.overdue,
                       never_received=due and facts.last_report_at is None)
