"""What a pledge is: the intake steps, their vocabularies, private links and reference numbers.

Nothing here knows about HTTP, so the rules can be tested on their own.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import AccessToken, Pledge, ReferenceCounter


@dataclass(frozen=True)
class Step:
    number: int
    slug: str
    title: object  # a lazy string


STEPS = (
    Step(1, "city", _l("City and contact")),
    Step(2, "areas", _l("Action areas")),
    Step(3, "pledge", _l("Your pledge")),
    Step(4, "alignment", _l("Alignment with the Global Compacts")),
    Step(5, "review", _l("Check your answers")),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
REVIEW_STEP = STEPS[-1]
LAST_QUESTION_STEP = STEPS[-2].number

MARRAKECH_ANSWERS = [
    ("yes", _l("Yes")),
    ("no", _l("No")),
    ("unsure", _l("I don't know")),
]
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
COMMITMENT_KINDS = [("policy", _l("A policy")), ("programme", _l("A programme"))]
COMMITMENT_NOVELTY = [
    ("new", _l("New")),
    ("existing", _l("Existing, continued")),
    ("expanded", _l("Existing, expanded")),
]
TARGET_GROUPS = [
    ("all", _l("All migrants and refugees")),
    ("women-children", _l("Women and children")),
    ("unaccompanied-minors", _l("Unaccompanied minors")),
    ("refugees", _l("Refugees and asylum seekers")),
    ("undocumented", _l("Undocumented migrants")),
    ("climate-displaced", _l("Climate-displaced people")),
    ("disabilities", _l("Persons with disabilities")),
    ("older-persons", _l("Older persons")),
    ("returnees", _l("Returning migrants")),
    ("idps", _l("Internally displaced people")),
]
FUNDING_STATUSES = [
    ("secured", _l("Fully secured")),
    ("partial", _l("Partly secured")),
    ("seeking", _l("Not yet secured")),
]
SUPPORT_TYPES = [
    ("funding", _l("Funding")),
    ("technical", _l("Technical assistance")),
    ("peer-exchange", _l("Peer exchange with other cities")),
    ("partnerships", _l("Partnerships")),
    ("data", _l("Data and research")),
]
IMPLEMENTATION_STAGES = [
    ("planning", _l("Planning")),
    ("in-progress", _l("In progress")),
]
REVIEW_STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
}


def label(vocabulary, code):
    return dict(vocabulary).get(code, code)


def step_by_number(number):
    return STEPS[number - 1]


def can_open_step(pledge, number):
    """A step may be opened once every step before it has been saved: no skipping by URL."""
    furthest = pledge.furthest_step if pledge else 0
    if number == REVIEW_STEP.number:
        return furthest >= LAST_QUESTION_STEP
    return number <= furthest + 1


def next_step_to_complete(pledge):
    furthest = pledge.furthest_step if pledge else 0
    return step_by_number(min(furthest + 1, REVIEW_STEP.number))


def record_step_saved(pledge, number):
    pledge.furthest_step = max(pledge.furthest_step or 0, number)


def is_editable(pledge):
    return pledge.review_state == "draft"


# --- private links ---------------------------------------------------------


def hash_token(raw_token):
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def as_utc(moment):
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def issue_access_token(pledge, lifetime, now=None, purpose="resume"):
    """Create a private link token for one pledge. The raw token is returned once, never stored."""
    now = now or datetime.now(timezone.utc)
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccessToken(
            pledge=pledge,
            token_hash=hash_token(raw),
            purpose=purpose,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return raw


class TokenProblem(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "unknown" or "expired"


def pledge_for_token(raw_token, now=None, purpose="resume"):
    """The one pledge a token opens, or TokenProblem. Reading only: opening a link changes nothing."""
    now = now or datetime.now(timezone.utc)
    if not raw_token or len(raw_token) > 100:
        raise TokenProblem("unknown")
    token = db.session.scalar(
        select(AccessToken).where(
            AccessToken.token_hash == hash_token(raw_token), AccessToken.purpose == purpose
        )
    )
    if token is None:
        raise TokenProblem("unknown")
    if as_utc(token.expires_at) <= now:
        raise TokenProblem("expired")
    return token.pledge


# --- submission ------------------------------------------------------------


def missing_answers(pledge):
    """Steps whose required answers are absent: submission is refused until they are given."""
    required = {
        1: [pledge.city, pledge.country_code, pledge.leader_name, pledge.focal_name,
            pledge.focal_email],
        2: [pledge.action_areas],
        3: [pledge.title, pledge.summary, pledge.commitment, pledge.start_date],
    }
    return [step_by_number(n) for n, answers in required.items() if not all(answers)]


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


def submit(pledge, prefix, now=None):
    now = now or datetime.now(timezone.utc)
    number = next_reference_number(now.year)
    pledge.reference = format_reference(prefix, now.year, number)
    pledge.review_state = "submitted"
    pledge.submitted_at = now
    return pledge.reference
