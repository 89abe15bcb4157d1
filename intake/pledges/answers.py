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
PLEDGE_FIELDS = ("title", "summary", "commitment", "commitment_kind", "commitment_novelty",
                 "target_groups", "target_groups_other", "start_date", "end_date", "ongoing",
                 "expected_results", "progress_measures", "budget_amount", "budget_currency",
                 "funding_status", "support_sought", "support_details", "implementation_stage")


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
    if slug == "pledge":
        return _copy(pledge, PLEDGE_FIELDS)
    if slug == "alignment":
        return {"gcm_objectives": [str(n) for n in pledge.gcm_objectives or []],
                "gcr_objectives": [str(n) for n in pledge.gcr_objectives or []]}
    raise KeyError(slug)


def save_answers(slug, form, pledge):
    if slug == "city":
        for name in CITY_FIELDS:
            setattr(pledge, name, getattr(form, name).data or None)
        pledge.country_code = form.country.data
        pledge.region = region_of(form.country.data)
        pledge.focal_email = form.focal_email.data.lower() if form.focal_email.data else None
        rows = [entry.form for entry in form.co_cities if not entry.form.is_blank()]
        pledge.co_pledging_cities = [
            CoPledgingCity(position=i, city=row.city.data, country_code=row.country.data)
            for i, row in enumerate(rows)
        ]
    elif slug == "areas":
        chosen = set(form.action_areas.data)
        kept = [row for row in pledge.action_areas if row.area in chosen]
        added = [PledgeActionArea(area=slug_) for slug_ in sorted(chosen)
                 if slug_ not in {row.area for row in kept}]
        pledge.action_areas = kept + added
    elif slug == "pledge":
        for name in PLEDGE_FIELDS:
            setattr(pledge, name, getattr(form, name).data)
        for name in ("target_groups_other", "support_details", "budget_currency"):
            setattr(pledge, name, getattr(pledge, name) or None)
        if pledge.ongoing:
            pledge.end_date = None
        if pledge.budget_amount is None:
            pledge.budget_currency = None
    elif slug == "alignment":
        pledge.gcm_objectives = sorted(int(n) for n in form.gcm_objectives.data)
        pledge.gcr_objectives = sorted(int(n) for n in form.gcr_objectives.data)
    else:
        raise KeyError(slug)


def save_step(step, form, pledge, language, token_lifetime, now=None):
    """Save a step's answers, starting the pledge on its first step. Returns the pledge and, for
    a pledge just started, the raw token of its private link (its resume link is emailed)."""
    now = now or utcnow()
    started = pledge is None
    if started:
        pledge = Pledge(language=language)
        db.session.add(pledge)
    save_answers(step.slug, form, pledge)
    record_step_saved(pledge, step.number)
    contact_acted(pledge, now)
    if not started:
        return pledge, None
    raw_token = issue_access_token(pledge, token_lifetime, now)
    events.draft_started(pledge)
    return pledge, raw_token
