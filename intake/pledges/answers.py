"""Moving answers between a step's form and the pledge it belongs to, and saving a step."""
from ..catalogue.regions import region_of
from ..clock import utcnow
from ..email import events
from ..extensions import db
from ..models import CoPledgingCity, Pledge, PledgeActionArea
from ..reminders.planning import contact_acted
from .links import issue_access_token
from .steps import record_step_saved

CITY_FIELDS = ("city", "leader_name", "leader_title", "marrakech_signatory", "focal_name",
               "focal_role", "focal_email", "focal_phone", "language")
# The pledge's own answers, by the page that asks them (steps.PLEDGE_STEPS).
PLEDGE_FIELDS = {
    "commitment": ("title", "summary", "commitment", "commitment_kind", "commitment_novelty",
                   "target_groups", "target_groups_other"),
    "dates": ("start_date", "end_date", "ongoing", "implementation_stage"),
    "results": ("expected_results", "progress_measures"),
    "budget": ("budget_amount", "budget_currency", "funding_status", "support_sought",
               "support_details"),
}
# The pledge's collections (links.COLLECTIONS) whose answers a step's form shows, as
# answers_for_form reads them: the page of any other step does without them.
STEP_COLLECTIONS = {"city": ("co_pledging_cities",), "areas": ("action_areas",)}
# An optional answer left empty is stored as nothing.
BLANK_AS_NONE = ("target_groups_other", "support_details", "budget_currency")


def _copy(source, names):
    return {name: getattr(source, name) for name in names}


def answers_for_form(slug, pledge, language):
    """The data a step's form starts from: what was saved, or sensible defaults."""
    if pledge is None:
        return {"language": language, "co_cities": []} if slug == "city" else {}
    if slug == "city":
        data = _copy(pledge, CITY_FIELDS)
        data["country"] = pledge.country_code
        data["co_cities"] = [{"city": c.city, "country": c.country_code}
                             for c in pledge.co_pledging_cities]
        return data
    if slug == "areas":
        return {"action_areas": pledge.action_area_slugs}
    if slug in PLEDGE_FIELDS:
        return _copy(pledge, PLEDGE_FIELDS[slug])
    if slug == "alignment":
        return {"gcm_objectives": [str(n) for n in pledge.gcm_objectives or []],
                "gcr_objectives": [str(n) for n in pledge.gcr_objectives or []]}
    raise KeyError(slug)


def checked_values(form):
    """Each answer of a validated form that passed its checks (by field name); an answer with
    an error is left out. For a form that passed, every answer."""
    return {field.short_name: field.data for field in form
            if field.type != "CSRFTokenField" and not field.errors}


def save_answers(slug, values, pledge):
    """Store the answers given in `values` (field name -> data); a step's other answers keep
    what they held, so that a step saved for later stores only what passed its checks."""
    if slug == "city":
        for name in CITY_FIELDS:
            if name in values:
                setattr(pledge, name, values[name] or None)
        if "country" in values:
            pledge.country_code = values["country"]
            pledge.region = region_of(values["country"])
        if "focal_email" in values:
            pledge.focal_email = values["focal_email"].lower() if values["focal_email"] else None
        if "co_cities" in values:
            rows = [row for row in values["co_cities"] if row["city"] or row["country"]]
            pledge.co_pledging_cities = [
                CoPledgingCity(position=i, city=row["city"], country_code=row["country"])
                for i, row in enumerate(rows)
            ]
    elif slug == "areas":
        if "action_areas" in values:
            chosen = set(values["action_areas"])
            kept = [row for row in pledge.action_areas if row.area in chosen]
            added = [PledgeActionArea(area=slug_) for slug_ in sorted(chosen)
                     if slug_ not in {row.area for row in kept}]
            pledge.action_areas = kept + added
    elif slug in PLEDGE_FIELDS:
        for name in PLEDGE_FIELDS[slug]:
            if name in values:
                setattr(pledge, name, values[name])
            if name in BLANK_AS_NONE:
                setattr(pledge, name, getattr(pledge, name) or None)
        if slug == "dates" and pledge.ongoing:
            pledge.end_date = None
        if slug == "budget" and pledge.budget_amount is None:
            pledge.budget_currency = None
    elif slug == "alignment":
        for name in ("gcm_objectives", "gcr_objectives"):
            if name in values:
                setattr(pledge, name, sorted(int(n) for n in values[name]))
    else:
        raise KeyError(slug)


# --- steps kept as typed ("Save and come back later") -----------------------------------------

# Chosen for the contact before anything is typed (the page's language): not an answer.
PRESET_FIELDS = {"language"}


def answers_as_typed(form):
    """Every answer of a posted step exactly as it was sent, by field name (rows of a list
    included), each a list of the values sent, as a form sends them."""
    typed = {}

    def collect(fields):
        for field in fields:
            if field.type == "FieldList":
                for entry in field:
                    collect(entry.form)
            elif field.type != "CSRFTokenField" and field.raw_data:
                typed[field.name] = [str(value) for value in field.raw_data]

    collect(form)
    return typed


def anything_typed(typed):
    return any(value.strip() for name, values in typed.items() if name not in PRESET_FIELDS
               for value in values)


def typed_answers(slug, pledge):
    """A step kept as typed, to show again: {field name: [values]}; None for a step whose
    answers are complete (the form then starts from what was stored: answers_for_form)."""
    if pledge is None:
        return None
    return (pledge.incomplete_steps or {}).get(slug)


def _keep_as_typed(pledge, slug, typed):
    # A JSON column is written whole: a new dict, so that the change is seen.
    pledge.incomplete_steps = {**(pledge.incomplete_steps or {}), slug: typed}


def _complete(pledge, step):
    record_step_saved(pledge, step.number)
    kept = pledge.incomplete_steps or {}
    if step.slug in kept:
        pledge.incomplete_steps = {slug: typed for slug, typed in kept.items()
                                   if slug != step.slug} or None


# --- saving a step -------------------------------------------------------------------------------


def save_step(step, form, pledge, language, token_lifetime, now=None):
    """Save a step whose answers passed their checks, starting the pledge on its first step.
    Returns the pledge and, for a pledge just started, the raw token of its private link."""
    return _save(step, form, pledge, language, token_lifetime, now, typed=None)


def keep_step_for_later(step, form, pledge, language, token_lifetime, now=None):
    """"Save and come back later" on a step whose answers are not all complete or right (the
    form was validated to tell): nothing typed is lost. Each answer that passed its checks is
    stored in its column; the whole step is kept exactly as typed and marked incomplete. An
    incomplete step does not count as saved for the step order, so the private link brings the
    contact back to it, and the pledge cannot be sent until its answers pass their checks
    (submission.missing_answers). Returns what save_step returns.

    A pledge not started yet is started here too, even without an email address: the saved
    page shows its private link in any case, and throwing away what was typed for want of an
    address is what this is for. Its link is emailed once it has a valid address
    (events.draft_started). Such a draft emails nobody, costs one row, and is bounded by the
    rate limits of the intake and the retention of untouched drafts."""
    return _save(step, form, pledge, language, token_lifetime, now, typed=answers_as_typed(form))


def _save(step, form, pledge, language, token_lifetime, now, typed):
    now = now or utcnow()
    started = pledge is None
    if started:
        pledge = Pledge(language=language, review_state="draft")  # planned before its INSERT
        db.session.add(pledge)
    save_answers(step.slug, checked_values(form), pledge)
    if typed is None:
        _complete(pledge, step)
    else:
        _keep_as_typed(pledge, step.slug, typed)
    contact_acted(pledge, now)
    raw_token = issue_access_token(pledge, token_lifetime, now) if started else None
    if pledge.focal_email and (started or step.slug == "city"):
        db.session.flush()  # the email's key names the pledge's id
        events.draft_started(pledge, new=started)  # its resume link, once per pledge
    return pledge, raw_token
