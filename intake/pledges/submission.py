"""Sending a pledge: every required answer given, a reference number (CTA-2026-0042), its
first history entry, its emails and its reminders, in the caller's transaction."""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..clock import utcnow
from ..email import events
from ..extensions import db
from ..models import ReferenceCounter
from ..reminders.planning import contact_acted
from . import actions
from .steps import QUESTION_STEPS, incomplete_steps


class ChangedMeanwhile(Exception):
    """The pledge changed while it was being sent: sent by a second click on "Send", or saved
    from another tab. The caller rolls back and looks at the pledge as it is now."""


class MissingAnswers(Exception):
    """Some required answers are absent; `steps` lists the steps to complete, in order."""

    def __init__(self, steps):
        super().__init__(", ".join(step.slug for step in steps))
        self.steps = steps


def required_answers(pledge):
    """The answers each step cannot do without, by its slug (the alignment step is optional)."""
    return {
        "city": [pledge.city, pledge.country_code, pledge.leader_name, pledge.focal_name,
                 pledge.focal_email],
        "areas": [pledge.action_areas],
        "commitment": [pledge.title, pledge.summary, pledge.commitment, pledge.commitment_kind,
                       pledge.commitment_novelty, pledge.target_groups],
        "dates": [pledge.start_date, pledge.end_date or pledge.ongoing,
                  pledge.implementation_stage],
        "results": [pledge.expected_results, pledge.progress_measures],
        "budget": [pledge.funding_status],
    }


def missing_answers(pledge):
    """Steps whose required answers are absent, or which were kept for later before their
    answers were complete: submission is refused until they are given and checked."""
    required = required_answers(pledge)
    incomplete = set(incomplete_steps(pledge))
    return [step for step in QUESTION_STEPS
            if step in incomplete or not all(required.get(step.slug, []))]


def next_reference_number(year):
    """Count up per year. The UPDATE takes a row lock, so two submissions never share a number."""
    bumped = db.session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
    )
    if bumped.rowcount == 0:
        try:
            with db.session.begin_nested():  # the year's first pledge: another may race us
                db.session.add(ReferenceCounter(year=year, last_number=1))
            return 1
        except IntegrityError:
            return next_reference_number(year)
    return db.session.scalar(
        select(ReferenceCounter.last_number).where(ReferenceCounter.year == year))


def format_reference(prefix, year, number):
    return f"{prefix}-{year}-{number:04d}"


def assign_reference(pledge, prefix, now=None):
    """The pledge's reference number, and its state moves from draft to submitted."""
    now = now or utcnow()
    number = next_reference_number(now.year)
    pledge.reference = format_reference(prefix, now.year, number)
    pledge.review_state = "submitted"
    pledge.submitted_at = now
    return pledge.reference


def claim_for_sending(pledge):
    """The pledge leaves the draft state first, on its own: the update checks the pledge's
    version, so of two sends at once (a double click) the second waits for the first's row,
    finds it changed and gets ChangedMeanwhile, before it takes a reference number."""
    pledge.review_state = "submitted"
    try:
        db.session.flush()
    except StaleDataError as stale:
        raise ChangedMeanwhile() from stale


def submit(pledge, consent_contact, consent_publish, prefix, now=None):
    """Send the pledge to the coordinators, or MissingAnswers. Returns its reference."""
    now = now or utcnow()
    missing = missing_answers(pledge)
    if missing:
        raise MissingAnswers(missing)
    claim_for_sending(pledge)
    reference = assign_reference(pledge, prefix, now)  # before any other change: the counter's
    pledge.consent_contact = consent_contact  # update would flush it in an UPDATE of its own
    pledge.consent_publish = consent_publish
    actions.record_submission(pledge, now)
    contact_acted(pledge, now)
    events.pledge_submitted(pledge)
    return reference
