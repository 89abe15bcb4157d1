"""Forms of partner matching: a partner's offer of support (public: it carries the honeypot
and the minimum fill time), the coordinators' moves (each with the offer's version, for
optimistic locking), the city's answer, and the filters of the "Support sought" page."""
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, RadioField, SelectField
from wtforms.validators import InputRequired, Optional

from ..catalogue import vocabularies
from ..catalogue.compacts import ACTION_AREAS
from ..extensions import lazy_gettext as _l
from ..web.fields import choice, email_address, long_text, options, required, text
from ..web.human_check import HumanCheck
from .states import MOVE_LABELS


class OfferForm(HumanCheck, FlaskForm):
    organisation = text(_l("Your organisation"), 200,
                        required(_l("Enter the name of your organisation.")),
                        description=_l("For example: a foundation, an agency, a university "
                                       "or a city network"))
    kind = choice(_l("What kind of support do you offer?"), vocabularies.SUPPORT_TYPES,
                  _l("Choose the kind of support you offer."), field=RadioField)
    offer = long_text(_l("What do you offer?"), 4000,
                      required(_l("Describe what you offer.")),
                      description=_l("What, for how long, and on what terms. The coordinators "
                                     "and the city read it."), rows=6)
    contact_name = text(_l("Your name (optional)"), 120, Optional())
    contact_email = email_address(
        _l("Your email address"),
        _l("We write to you here. The city gets it only if it agrees to be introduced."))
    language = choice(_l("Language for our messages"), vocabularies.LANGUAGES,
                      _l("Choose a language."), field=RadioField)


class MoveForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    target = SelectField(validate_choice=True, choices=options(MOVE_LABELS.items()),
                         validators=[InputRequired(message=_l("Choose the move."))])


class AskCityForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])


class CityAnswerForm(FlaskForm):
    answer = SelectField(validate_choice=True, choices=options([("yes", "yes"), ("no", "no")]),
                         validators=[InputRequired()])


class NeedsFilterForm(Form):
    """A plain GET form: the URL is the view."""

    kind = SelectField(_l("Kind of support"), validate_choice=False)
    area = SelectField(_l("Action area"), validate_choice=False)


def needs_filter_form(args, anyone_label):
    form = NeedsFilterForm(formdata=args)
    anyone = [("", anyone_label)]
    form.kind.choices = options(anyone + list(vocabularies.SUPPORT_TYPES))
    form.area.choices = options(anyone + [(area.slug, area.title) for area in ACTION_AREAS])
    return form
