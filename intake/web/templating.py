"""What templates read: labels through filters and globals (never a Python module passed into a
template), and the helpers that tie every input to its label, hint and error."""
from flask import current_app

from ..catalogue import compacts, countries, regions, vocabularies
from ..email import faults, kinds, problems
from ..pledges import status
from .i18n import LANGUAGE_NAMES, current_language


def input_attrs(field, first_error=None, **extra):
    described_by = []
    if field.description:
        described_by.append(f"{field.id}-hint")
    if field.errors:
        described_by.append(f"{field.id}-error")
    attrs = {key.rstrip("_").replace("_", "-") if key != "class_" else "class": value
             for key, value in extra.items() if value is not None}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if first_error and first_error == field.id:
        attrs["autofocus"] = True
    return attrs


def option_attrs(group, option, first_error=None):
    """An option of a radio or checkbox group (its fieldset carries the hint and the error)."""
    return {"autofocus": True} if first_error and first_error == option.id else {}


def page_globals():
    return {
        "current_language": current_language(),
        "language_names": LANGUAGE_NAMES,
        "htmx_version": current_app.config["HTMX_VERSION"],
    }


FILTERS = {
    "action_area_title": compacts.action_area_title,
    "action_area_summary": compacts.action_area_summary,
    "gcm_objective": compacts.GCM_OBJECTIVES.get,
    "gcr_objective": compacts.GCR_OBJECTIVES.get,
    "country_name": countries.country_name,
    "region_label": regions.region_label,
    "vocabulary_label": vocabularies.label_of,
    "review_label": status.review_label,
    "stage_label": status.stage_label,
    "email_kind_label": kinds.kind_label,
    "email_fault_label": faults.fault_label,
    "suppression_scope_label": problems.scope_label,
}
GLOBALS = {
    "input_attrs": input_attrs,
    "option_attrs": option_attrs,
}


def register(app):
    for name, function in GLOBALS.items():
        app.add_template_global(function, name)
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    app.context_processor(page_globals)
