"""Forms of the coordinators' pages: the queue's filters (a plain GET form: the URL is the
view), and a pledge's actions, each carrying the pledge's version for optimistic locking."""
from functools import partial

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, HiddenField, SearchField, SelectField
from wtforms.validators import DataRequired, InputRequired, Optional

from ..catalogue import countries
from ..catalogue.compacts import ACTION_AREAS
from ..catalogue.regions import REGIONS
from ..extensions import lazy_gettext as _l
from ..pledges import update_states
from ..web import fields
from ..web.fields import long_list, long_select, options
from ..web.i18n import current_language
from . import queue_query
from .queue_query import UNASSIGNED

long_text = partial(fields.long_text, rows=4)


class QueueFilterForm(Form):
    q = SearchField(_l("Search"), description=_l("City, title or text of a pledge, or its "
                                                  "reference (CTA-2026-0042)."))
    area = SelectField(_l("Action area"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    country = long_select(_l("Country"))
    assignee = SelectField(_l("Assigned to"), validate_choice=False)
    mine = BooleanField(_l("Only pledges assigned to me"))
    overdue = BooleanField(_l("Only pledges waiting too long"))
    update = SelectField(_l("Progress updates"), validate_choice=False)
    sort = SelectField(_l("Sort by"), validate_choice=False)
    dir = SelectField(_l("Order"), validate_choice=False)
    state = HiddenField()


def filter_form(filters, coordinators, target_days):
    form = QueueFilterForm(formdata=None, data={
        "q": filters.q, "area": filters.area, "region": filters.region,
        "country": filters.country, "assignee": filters.assignee, "mine": filters.mine,
        "overdue": filters.overdue, "update": filters.update, "sort": filters.sort,
        "dir": filters.dir, "state": filters.state})
    anyone = [("", _("Any"))]
    long_list(form.country, ("country-or-any", current_language()),
              options(anyone + list(countries.country_choices())))
    form.area.choices = options(anyone + [(area.slug, area.title) for area in ACTION_AREAS])
    form.region.choices = options(anyone + list(REGIONS.items()))
    form.update.choices = options(anyone + list(update_states.FILTERS.items()))
    form.assignee.choices = options(
        anyone + [(UNASSIGNED, _("Nobody (not assigned)"))]
        + [(str(c.id), c.display_name) for c in coordinators])
    form.sort.choices = options((key, label) for key, (_default, label) in
                                queue_query.SORTS.items())
    form.dir.choices = options(queue_query.DIRECTIONS.items())
    form.overdue.label.text = _("Only pledges waiting more than %(days)d working days",
                                days=target_days)
    return form


# --- a pledge's page ---------------------------------------------------------------------------


class VersionedForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])


class AssignForm(VersionedForm):
    assignee = SelectField(_l("Assigned to"), validate_choice=True)


class StateForm(VersionedForm):
    target = SelectField(_l("New review state"), validate_choice=True,
                         validators=[InputRequired(message=_l("Choose the new state."))])
    message = long_text(_l("Message to the city (optional)"), 4000, Optional(),
                        description=_l("Sent by email and shown on the city's status page."))


class InformationRequestForm(VersionedForm):
    questions = long_text(_l("Your questions to the city"), 4000,
                          DataRequired(message=_l("Write the questions to ask the city.")))


class NoteForm(VersionedForm):
    body = long_text(_l("Internal note"), 4000,
                     DataRequired(message=_l("Write the note.")),
                     description=_l("Coordinators only: the city never sees notes."))


class ReportNoteForm(VersionedForm):
    """An internal comment on one progress report (posted with the report's prefix)."""

    body = long_text(_l("Comment on this report (internal)"), 4000,
                     DataRequired(message=_l("Write the comment.")),
                     description=_l("Coordinators only: the city never sees notes."))


class ReportQuestionForm(VersionedForm):
    """Questions to the city about one progress report (posted with the report's prefix)."""

    questions = long_text(_l("Ask the city about this report"), 4000,
                          DataRequired(message=_l("Write the questions to ask the city.")),
                          description=_l("Sent by email; the city answers on its status "
                                         "page. The pledge stays accepted."))


def report_form_prefix(kind, report_id):
    return f"report{report_id}-{kind}"


class StageForm(VersionedForm):
    stage = SelectField(_l("Implementation stage"), validate_choice=True,
                        validators=[InputRequired(message=_l("Choose the stage."))])
    narrative = long_text(_l("What has happened"), 4000,
                          DataRequired(message=_l("Describe the progress.")))


class MergeForm(VersionedForm):
    original = SelectField(_l("Merge into"), validate_choice=True,
                           validators=[InputRequired(message=_l("Choose the pledge to keep."))])
