"""Every answer of a pledge, once, grouped by the step that asks it: what "check your answers",
the coordinators' pledge page, the printable answers and the acknowledgement email all show.
Each answer is a label and a value written for the reader (call it in the reader's locale): a
text, or a list of texts; an empty value is an answer not given. No HTTP here: the day, time
and money formats are passed in (web/templating.py gives its own)."""
from typing import NamedTuple

from flask_babel import gettext as _

from ..catalogue import compacts, countries, vocabularies
from . import status
from .steps import STEPS_BY_SLUG


class Answer(NamedTuple):
    label: str
    value: object  # a text, or a list of texts


class Section(NamedTuple):
    slug: str | None  # the step that asks these answers; None: no step (the consent)
    title: str
    answers: list


def _text(value):
    return "" if value is None else str(value)


def _joined(*parts, separator=", "):
    return separator.join(str(part) for part in parts if part)


def _labels(codes, vocabulary):
    return [str(vocabularies.label_of(code, vocabulary)) for code in codes or []]


def _objectives(numbers, titles):
    return [f"{n}. {titles.get(n, '')}" for n in numbers or []]


def _section(slug, answers, title=None):
    return Section(slug, str(title or STEPS_BY_SLUG[slug].title),
                   [Answer(str(label), value) for label, value in answers])


def answer_sections(pledge, day, day_and_time, money):
    """The sections of a pledge's answers, in the order of the steps. A pledge that was sent
    also says what it consented to, and its stage is the one it had when it was sent."""
    sent = pledge.review_state != "draft"
    if pledge.contact_erased_at:
        contact = [(_("Focal point"), _("Erased on %(time)s",
                                        time=day_and_time(pledge.contact_erased_at)))]
    else:
        contact = [(_("Focal point"), _joined(pledge.focal_name, pledge.focal_role)),
                   (_("Email address"), _text(pledge.focal_email)),
                   (_("Phone number"), _text(pledge.focal_phone))]
    co_cities = [f"{c.city} ({countries.country_name(c.country_code)})"
                 for c in pledge.co_pledging_cities]
    groups = _labels(pledge.target_groups, "target_groups")
    if pledge.target_groups_other:
        groups.append(pledge.target_groups_other)
    end = _("ongoing") if pledge.ongoing else day(pledge.end_date)
    dates = f"{day(pledge.start_date)} – {end}" if pledge.start_date or end else ""
    sections = [
        _section("city", [
            (_("City"), _text(pledge.city)),
            (_("Country"), countries.country_name(pledge.country_code)),
            (_("Mayor or city leader"), _joined(pledge.leader_name, pledge.leader_title)),
            (_("Signed the Marrakech Mayors Declaration"),
             _text(vocabularies.label_of(pledge.marrakech_signatory, "marrakech_answers"))),
            *contact,
            (_("Preferred language"), _text(vocabularies.label_of(pledge.language, "languages"))),
            (_("Co-pledging cities"), co_cities),
        ]),
        _section("areas", [
            (_("Action areas"), [str(compacts.action_area_title(slug))
                                 for slug in pledge.action_area_slugs]),
        ]),
        _section("commitment", [
            (_("Title"), _text(pledge.title)),
            (_("Summary"), _text(pledge.summary)),
            (_("What the city will do"), _text(pledge.commitment)),
            (_("Policy or programme"), _joined(
                vocabularies.label_of(pledge.commitment_kind, "commitment_kinds"),
                vocabularies.label_of(pledge.commitment_novelty, "commitment_novelty"),
                separator=" – ")),
            (_("Who will benefit"), groups),
        ]),
        _section("dates", [
            (_("Dates"), dates),
            (_("Implementation when sent") if sent else _("Implementation today"),
             _text(status.stage_label(pledge.implementation_stage))),
        ]),
        _section("results", [
            (_("Expected results"), _text(pledge.expected_results)),
            (_("How progress will be measured"), _text(pledge.progress_measures)),
        ]),
        _section("budget", [
            (_("Budget"), _text(money(pledge.budget_amount, pledge.budget_currency))),
            (_("Funding status"),
             _text(vocabularies.label_of(pledge.funding_status, "funding_statuses"))),
            (_("Support sought"), _labels(pledge.support_sought, "support_types")),
            (_("Details of the support sought"), _text(pledge.support_details)),
        ]),
        _section("alignment", [
            (_("GCM objectives"), _objectives(pledge.gcm_objectives, compacts.GCM_OBJECTIVES)),
            (_("GCR objectives"), _objectives(pledge.gcr_objectives, compacts.GCR_OBJECTIVES)),
        ]),
    ]
    if sent:
        sections.append(Section(None, _("Consent"), [
            Answer(_("May be published"), _("Yes") if pledge.consent_publish else _("No"))]))
    return sections
