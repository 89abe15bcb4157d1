"""Forms of a pledge's page. Each carries the pledge's version, for optimistic locking."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import plain_text, strip


class VersionedForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])


def long_text(label, max_length, *validators, description=None):
    return TextAreaField(
        label, filters=[strip], description=description,
        validators=[plain_text, *validators,
                    Length(max=max_length, message=_l("Use %(max)d characters or fewer.",
                                                      max=max_length))],
        render_kw={"maxlength": max_length, "rows": 4})


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


class StageForm(VersionedForm):
    stage = SelectField(_l("Implementation stage"), validate_choice=True,
                        validators=[InputRequired(message=_l("Choose the stage."))])
    narrative = long_text(_l("What has happened"), 4000,
                          DataRequired(message=_l("Describe the progress.")))


class MergeForm(VersionedForm):
    original = SelectField(_l("Merge into"), validate_choice=True,
                           validators=[InputRequired(message=_l("Choose the pledge to keep."))])
