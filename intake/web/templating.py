"""What templates read: labels through filters and globals (never a Python module passed into a
template), and the helpers that tie every input to its label, hint and error."""
from typing import NamedTuple

from flask import current_app
from flask_babel import format_currency, format_date, format_datetime, format_decimal
from markupsafe import Markup, escape

from ..catalogue import compacts, countries, regions, vocabularies
from ..email import faults, kinds, problems, statuses
from ..inbound import archive
from ..pledges import audit, status, summary
from . import shared_fields
from .i18n import LANGUAGE_NAMES, SWITCH_LANGUAGE, current_language, language_switch


def input_attrs(field, **extra):
    """An input's attributes: its hint and error tied to it. After a failed submit, focus goes
    to the error summary (see _macros.error_summary), not to a field."""
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
    return attrs


class ChoiceOption(NamedTuple):
    id: str
    data: str
    label: str
    html: Markup  # its input


def choice_options(group):
    """The options of a radio or checkbox group (its fieldset carries the hint and the error),
    each with its input's HTML, made from the group's choices at once: the same HTML as
    WTForms' own options give, without the field WTForms builds for each (with them, a long
    group was a tenth of a step page's time)."""
    input_type = group.option_widget.input_type
    required = bool(group.flags.required) and "required" in group.option_widget.validation_attrs
    name = escape(group.name)
    for index, choice in enumerate(group.iter_choices()):
        option_id = f"{group.id}-{index}"
        if choice.render_kw:  # attributes of its own: WTForms renders it
            shared_fields.refuse()
            html = list(group)[index]()
        else:
            checked = shared_fields.hole(group, "checked", index)
            if checked is None:
                checked = " checked" if choice.selected else ""
            html = Markup(
                f"<input{checked} id=\"{escape(option_id)}\" "
                f"name=\"{name}\"{' required' if required else ''} type=\"{input_type}\" "
                f"value=\"{escape(choice.value)}\">")
        yield ChoiceOption(option_id, str(choice.value), choice.label, html)


def page_globals():
    return {
        "current_language": current_language(),
        "language_names": LANGUAGE_NAMES,
        "switch_language_field": SWITCH_LANGUAGE,
        "htmx_version": current_app.config["HTMX_VERSION"],
        "contact_email": current_app.config.get("CONTACT_EMAIL"),
    }


def day(moment):
    """A day in the reader's language ("2 déc. 2026"); a datetime is read in UTC, the app's zone."""
    if moment is None:
        return ""
    return format_date(moment, "medium")


def day_and_time(moment):
    return "" if moment is None else format_datetime(moment, "medium")


def money(amount, currency):
    """An amount with its currency, as the reader's language writes it ("150 000 000,00 XOF")."""
    if amount is None:
        return ""
    return format_currency(amount, currency) if currency else format_decimal(amount)


def answer_sections(pledge):
    """A pledge's answers by step (pledges/summary.py), in the reader's formats."""
    return summary.answer_sections(pledge, day=day, day_and_time=day_and_time, money=money)


FILTERS = {
    "day": day,
    "day_and_time": day_and_time,
    "number": format_decimal,
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
    "email_status_label": statuses.status_label,
    "actor_label": audit.actor_label,
    "email_fault_label": faults.fault_label,
    "suppression_scope_label": problems.scope_label,
    "import_state_label": archive.state_label,
}
GLOBALS = {
    "money": money,
    "answer_sections": answer_sections,
    "input_attrs": input_attrs,
    "choice_options": choice_options,
    "language_switch": language_switch,
}


def register(app):
    for name, function in GLOBALS.items():
        app.add_template_global(function, name)
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    app.context_processor(page_globals)
