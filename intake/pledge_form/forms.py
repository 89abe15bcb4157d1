"""The intake forms, one per step. Every field has a length limit and a clear message."""
import re

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from markupsafe import Markup, escape
from wtforms.widgets import CheckboxInput, ListWidget, Select, html_params

from . import countries, pledges, reference

# Control characters other than tab and newlines cannot be stored in PostgreSQL text (NUL) and
# have no place in a pledge; refuse them with a message rather than fail on save.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(form, field):
    if field.data and FORBIDDEN_CHARACTERS.search(field.data):
        raise StopValidation(_l("Remove the invisible control characters from this answer."))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def options(pairs):
    """WTForms takes choices as SelectChoice objects; our vocabularies are (code, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def required(message):
    return DataRequired(message=message)


def text(label, max_length, *validators, description=None, widget_field=StringField):
    limit = Length(max=max_length, message=_l("Use %(max)d characters or fewer.", max=max_length))
    return widget_field(
        label,
        validators=[plain_text, *validators, limit],
        filters=[strip],
        description=description,
        render_kw={"maxlength": max_length},
    )


def long_text(label, max_length, *validators, description=None):
    return text(label, max_length, *validators, description=description,
                widget_field=TextAreaField)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices}
        if any(str(value) not in known for value in self.data or []):
            raise StopValidation(_l("Choose only from the options listed."))


class LongListSelect(Select):
    """A select of hundreds of options (countries, currencies). The options are rendered once per
    list and language, then only the chosen one is marked: it halves the time of a step's page."""

    rendered_options = {}

    def __call__(self, field, **kwargs):
        key = getattr(field, "long_list_key", None)
        if key is None:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        if field.flags.required:
            kwargs.setdefault("required", True)
        options = self.rendered_options.get(key)
        if options is None:
            options = self.rendered_options[key] = "".join(
                f'<option value="{escape(c.value)}">{escape(c.label)}</option>'
                for c in field.choices)
        if field.data:
            value = escape(field.data)
            options = options.replace(f'<option value="{value}">',
                                      f'<option selected value="{value}">', 1)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


def long_list(field, key, choices):
    field.choices = choices
    field.long_list_key = key


def choice(label, choices, message, field=SelectField, **kwargs):
    return field(
        label,
        choices=options(choices),
        validators=[InputRequired(message=message)],
        validate_choice=True,
        **kwargs,
    )


def email_address(description):
    return text(
        _l("Your email address"), 254,
        required(_l("Enter your email address.")),
        Email(message=_l("Enter an email address in the right format, like name@city.gov"),
              check_deliverability=False),
        description=description,
    )


def country_select(label, message):
    """The ISO 3166 list; choices are filled per request, in the reader's language."""
    return SelectField(label, validators=[InputRequired(message=message)], validate_choice=False,
                       widget=LongListSelect())


def check_country(field):
    if field.data not in countries.COUNTRY_CODES:
        raise ValidationError(_l("Choose a country from the list."))


class CoPledgingCityForm(Form):
    city = text(_l("City"), 120)
    country = SelectField(_l("Country"), validate_choice=False, widget=LongListSelect())

    def is_blank(self):
        return not (self.city.data or self.country.data)

    def validate_city(self, field):
        if not self.is_blank() and not field.data:
            raise ValidationError(_l("Enter the name of the co-pledging city."))

    def validate_country(self, field):
        if not self.is_blank():
            check_country(field)


class CityStepForm(FlaskForm):
    city = text(_l("City"), 120, required(_l("Enter the name of your city.")))
    country = country_select(_l("Country"), _l("Choose your city's country."))
    leader_name = text(
        _l("Name of the mayor or city leader"), 120,
        required(_l("Enter the name of the mayor or city leader.")),
    )
    leader_title = text(
        _l("Their title"), 120, required(_l("Enter the leader's title, for example Mayor.")),
        description=_l("For example: Mayor, Governor, Lord Mayor"),
    )
    marrakech_signatory = choice(
        _l("Did your city sign the Marrakech Mayors Declaration (2018)?"),
        pledges.MARRAKECH_ANSWERS,
        _l("Say whether your city signed the Marrakech Mayors Declaration."),
        field=RadioField,
    )
    focal_name = text(_l("Your full name"), 120, required(_l("Enter your full name.")))
    focal_role = text(
        _l("Your role"), 120, required(_l("Enter your role in the city administration.")),
        description=_l("For example: Head of the Migrant Integration Office"),
    )
    focal_email = email_address(
        _l("We send your confirmation and updates about the pledge here."))
    focal_phone = text(
        _l("Phone number (optional)"), 40,
        Optional(),
        Regexp(r"^\+?[0-9 ().\-]{5,40}$",
               message=_l("Enter a phone number using digits, spaces, brackets, + or -.")),
        description=_l("Include the international code, for example +34 91 123 4567"),
    )
    language = choice(
        _l("Preferred language for our messages"), pledges.LANGUAGES,
        _l("Choose a language."), field=RadioField,
    )
    co_cities = FieldList(FormField(CoPledgingCityForm), min_entries=0, max_entries=20)

    def validate_country(self, field):
        check_country(field)


class AreasStepForm(FlaskForm):
    action_areas = CheckboxesField(
        _l("Which action areas does your pledge contribute to?"),
        choices=options((area.slug, area.title) for area in reference.ACTION_AREAS),
        validators=[required(_l("Choose at least one action area."))],
        description=_l("Choose all that apply."),
    )


class PledgeStepForm(FlaskForm):
    title = text(
        _l("Title of the pledge"), 200, required(_l("Enter a title for the pledge.")),
        description=_l("A short name, for example: Welcome centre for newcomers"),
    )
    summary = long_text(
        _l("Summary"), 1000, required(_l("Enter a short summary of the pledge.")),
        description=_l("Two or three sentences. This may be published."),
    )
    commitment = long_text(
        _l("What will your city do?"), 5000,
        required(_l("Describe what your city commits to do.")),
    )
    commitment_kind = choice(
        _l("Is this a policy or a programme?"), pledges.COMMITMENT_KINDS,
        _l("Say whether this is a policy or a programme."), field=RadioField,
    )
    commitment_novelty = choice(
        _l("Is it new, or does it continue or expand existing work?"), pledges.COMMITMENT_NOVELTY,
        _l("Say whether the commitment is new, existing or expanded."), field=RadioField,
    )
    target_groups = CheckboxesField(
        _l("Who will benefit?"), choices=options(pledges.TARGET_GROUPS),
        validators=[required(_l("Choose at least one group that will benefit."))],
        description=_l("Choose all that apply."),
    )
    target_groups_other = text(_l("Other groups (optional)"), 200, Optional())
    start_date = DateField(
        _l("Start date"),
        validators=[InputRequired(message=_l("Enter the start date as a real date."))],
        format="%Y-%m-%d",
    )
    end_date = DateField(_l("End date"), validators=[Optional()], format="%Y-%m-%d")
    ongoing = BooleanField(_l("There is no end date: the commitment is ongoing"))
    expected_results = long_text(
        _l("Expected results"), 5000, required(_l("Describe the results you expect."))
    )
    progress_measures = long_text(
        _l("How will progress be measured?"), 5000,
        required(_l("Say how you will measure progress.")),
        description=_l("For example: indicators, data sources, who reports and how often."),
    )
    budget_amount = DecimalField(
        _l("Budget (optional)"), places=2,
        validators=[Optional(), NumberRange(min=0, max=10**13,
                                            message=_l("Enter an amount of zero or more."))],
        description=_l("Digits only, with a dot for decimals, for example 250000 or 1250.50"),
    )
    budget_currency = SelectField(_l("Currency"), validate_choice=False, widget=LongListSelect())
    funding_status = choice(
        _l("Funding status"), pledges.FUNDING_STATUSES,
        _l("Say how far the pledge is funded."), field=RadioField,
    )
    support_sought = CheckboxesField(
        _l("What support are you looking for? (optional)"), choices=options(pledges.SUPPORT_TYPES),
        validators=[Optional()],
    )
    support_details = long_text(_l("Details of the support sought (optional)"), 2000, Optional())
    implementation_stage = choice(
        _l("Where is implementation today?"), pledges.IMPLEMENTATION_STAGES,
        _l("Say where implementation stands today."), field=RadioField,
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return self.check_end_date() and valid

    def check_end_date(self):
        """Across fields, so it runs after Optional() has let an empty end date through."""
        end, problem = self.end_date, None
        if self.ongoing.data or end.errors:
            return True
        if end.data is None:
            problem = _l("Enter the end date, or tick that the commitment is ongoing.")
        elif self.start_date.data and end.data < self.start_date.data:
            problem = _l("The end date must be on or after the start date.")
        if problem:
            end.errors = [*end.errors, problem]
        return problem is None

    def validate_budget_currency(self, field):
        if self.budget_amount.data is not None and not field.data:
            raise ValidationError(_l("Choose the currency of the budget."))
        if field.data and field.data not in countries.CURRENCY_CODES:
            raise ValidationError(_l("Choose a currency from the list."))


def numbered(objectives):
    """Objectives are known by number ("GCM objective 16"), so the label starts with it."""
    return options((n, LazyString(lambda n=n, title=title: f"{n}. {title}"))
                   for n, title in objectives.items())


class AlignmentStepForm(FlaskForm):
    gcm_objectives = CheckboxesField(
        _l("Global Compact for Migration (GCM) objectives (optional)"),
        choices=numbered(reference.GCM_OBJECTIVES),
        validators=[Optional()],
    )
    gcr_objectives = CheckboxesField(
        _l("Global Compact on Refugees (GCR) objectives (optional)"),
        choices=numbered(reference.GCR_OBJECTIVES),
        validators=[Optional()],
    )


class ReviewForm(FlaskForm):
    consent_contact = BooleanField(
        _l("The Mayors Mechanism may contact me about this pledge."),
        validators=[DataRequired(message=_l("Agree to be contacted so that we can process your pledge."))],
    )
    consent_publish = BooleanField(
        _l("The pledge may be published on the Call to Local Action website."),
        description=_l("Contact details are never published."),
    )


STEP_FORMS = {
    "city": CityStepForm,
    "areas": AreasStepForm,
    "pledge": PledgeStepForm,
    "alignment": AlignmentStepForm,
}


class EmailLinkForm(FlaskForm):
    email = email_address(_l("The address you gave as the focal point of the pledge."))
