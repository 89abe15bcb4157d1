"""What a row of the queue shows, for the page and the downloads alike."""
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from ..catalogue import countries
from ..catalogue.compacts import ACTION_AREAS
from ..catalogue.regions import REGIONS
from ..clock import as_utc, utcnow
from ..pledges import status, update_states
from ..reminders.planning import update_rules
from . import queue_query
from .queue_query import QueueContext


@dataclass
class QueueRow:
    id: int
    reference: str
    url: str
    city: str
    country: str
    region: str
    areas: list
    title: str
    state: str
    stage: str
    assignee: str
    submitted: date | None  # the day it was sent (the templates format it, the downloads too)
    days_waiting: int | None
    overdue: bool
    version: int
    gcm: str
    gcr: str
    last_report: str  # how long ago, or "never" for an accepted pledge; "" for the others
    last_report_date: date | None
    update: str | None  # update_states.UP_TO_DATE, DUE, OVERDUE; None: no update state
    update_badges: list = field(default_factory=list)  # (key, label) pairs


class Labels:
    """The names a row shows, translated once per request (not once per row)."""

    def __init__(self):
        self.states = {key: str(label) for key, label in status.REVIEW_STATES.items()}
        self.stages = {key: str(label) for key, label in status.IMPLEMENTATION_STAGES.items()}
        self.regions = {key: str(label) for key, label in REGIONS.items()}
        self.areas = {area.slug: str(area.title) for area in ACTION_AREAS}
        self.updates = {key: str(label) for key, label in update_states.LABELS.items()}
        self.never = _("Never")
        self.countries = {}

    def country(self, code):
        if code not in self.countries:
            self.countries[code] = countries.country_name(code)
        return self.countries[code]


def last_report_age(pledge, now, labels):
    """ "3 months ago", in the page's language; "Never" for an accepted pledge never reported."""
    if pledge.last_report_at is not None:
        return format_timedelta(as_utc(pledge.last_report_at) - now, granularity="day",
                                add_direction=True)
    return labels.never if pledge.review_state == update_states.ACCEPTED else ""


def badges_of(update, labels):
    """(key, label) of each badge an update state shows (none for no update state)."""
    return [(key, labels.updates[key]) for key in update.keys] if update else []


def pledge_update(pledge):
    """What a pledge's own page says of its updates, as its queue row does: (the last report's
    age, its badges)."""
    labels, now = Labels(), utcnow()
    update = update_states.update_state(update_states.UpdateFacts.of(pledge), update_rules(),
                                        now)
    return last_report_age(pledge, now, labels), badges_of(update, labels)


def queue_row(pledge, context, labels):
    days = queue_query.days_waiting(pledge, context.now)
    update = update_states.update_state(update_states.UpdateFacts.of(pledge),
                                        context.update_rules, context.now)
    return QueueRow(
        id=pledge.id,
        reference=pledge.reference or "",
        url=url_for("triage.pledge", pledge_id=pledge.id),
        city=pledge.city or "",
        country=labels.country(pledge.country_code),
        region=labels.regions.get(pledge.region, pledge.region or ""),
        areas=[labels.areas.get(row.area, row.area) for row in pledge.action_areas],
        title=pledge.title or "",
        state=labels.states.get(pledge.review_state, pledge.review_state),
        stage=labels.stages.get(pledge.implementation_stage, pledge.implementation_stage or ""),
        assignee=pledge.assignee.display_name if pledge.assignee else "",
        submitted=pledge.submitted_at.date() if pledge.submitted_at else None,
        days_waiting=days,
        overdue=days is not None and days > context.target_days,
        version=pledge.version,
        gcm=", ".join(str(number) for number in pledge.gcm_objectives or []),
        gcr=", ".join(str(number) for number in pledge.gcr_objectives or []),
        last_report=last_report_age(pledge, context.now, labels),
        last_report_date=(as_utc(pledge.last_report_at).date()
                          if pledge.last_report_at else None),
        update=update.key if update else None,
        update_badges=badges_of(update, labels),
    )


def queue_context():
    return QueueContext(
        me=current_user.id, now=utcnow(),
        target_days=current_app.config["FIRST_RESPONSE_WORKING_DAYS"],
        update_rules=update_rules())
