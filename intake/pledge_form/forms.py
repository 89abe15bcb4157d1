"""The pledge form's steps, one form each. Every field has a length limit and a clear message."""
from flask_babel import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    RadioField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..catalogue import compacts, countries, vocabularies
from ..extensions import lazy_gettext as _l
from ..pledges import status
from ..web.fields import (
    AmountField,
    CheckboxesField,
    choice,
    email_address,
    long_select,
    long_text,
    options,
    required,
    single_line,
    text,
)
from ..web.human_check import HumanCheck

STARTING_STAGES = [(stage, status.IMPLEMENTATION_STAGES[stage])
                   for stage in status.STARTING_STAGES]


def focal_point_email(description):
    return email_address(_l("Your email address"), description)


def check_country(field):
    if field.data not in countries.COUNTRY_CODES:
        raise ValidationError(_l("Choose a country from the list."))


class CoPledgingCityForm(Form):
    city = text(_l("City"), 120)
    country = long_select(_l("Country"))

    def is_blank(self):
        return not (self.city.data or self.country.data)

    def validate_city(self, field):
        if not self.is_blank() and not field.data:
            raise ValidationError(_l("Enter the name of the co-pledging city."))

    def validate_country(self, field):
        if not self.is_blank():
            check_country(field)


class CityStepForm(HumanCheck, FlaskForm):
    """Step 1 starts a draft and emails its private link: it carries the honeypot and the
    minimum fill time (web/human_check.py)."""

    city = text(_l("City"), 120, required(_l("Enter the name of your city.")))
    # The ISO 3166 list; choices are filled per request, in the reader's language.
    country = long_select(_l("Country"), InputRequired(message=_l("Choose your city's country.")))
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
        vocabularies.MARRAKECH_ANSWERS,
        _l("Say whether your city signed the Marrakech Mayors Declaration."),
        field=RadioField,
    )
    focal_name = text(_l("Your full name"), 120, required(_l("Enter your full name.")))
    focal_role = text(
        _l("Your role"), 120, required(_l("Enter your role in the city administration.")),
        description=_l("For example: Head of the Migrant Integration Office"),
    )
    focal_email = focal_point_email(
        _l("We send your confirmation and updates about the pledge here."))
    focal_phone = text(
        _l("Phone number (optional)"), 40,
        Optional(),
        Regexp(r"^\+?[0-9 ().\-]{5,40}$",
               message=_l("Enter a phone number using digits, spaces, brackets, + or -.")),
        description=_l("Start with + and the country code, for example +44 7700 900123"),
    )
    language = choice(
        _l("Preferred language for our messages"), vocabularies.LANGUAGES,
        _l("Choose a language."), field=RadioField,
    )
    co_cities = FieldList(FormField(CoPledgingCityForm), min_entries=0, max_entries=20)

    def validate_country(self, field):
        check_country(field)


class AreasStepForm(FlaskForm):
    action_areas = CheckboxesField(
        _l("Which action areas does your pledge contribute to?"),
        choices=options((area.slug, area.title) for area in compacts.ACTION_AREAS),
        validators=[required(_l("Choose at least one action area."))],
        description=_l("Choose all that apply."),
    )


# The pledge is asked on four pages of one topic each (pledges/steps.py): one form per page.


class CommitmentStepForm(FlaskForm):
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
        _l("Is this a policy or a programme?"), vocabularies.COMMITMENT_KINDS,
        _l("Say whether this is a policy or a programme."), field=RadioField,
    )
    commitment_novelty = choice(
        _l("Is it new, or does it continue or expand existing work?"),
        vocabularies.COMMITMENT_NOVELTY,
        _l("Say whether the commitment is new, existing or expanded."), field=RadioField,
    )
    target_groups = CheckboxesField(
        _l("Who will benefit?"), choices=options(vocabularies.TARGET_GROUPS),
        validators=[required(_l("Choose at least one group that will benefit."))],
        description=_l("Choose all that apply."),
    )
    target_groups_other = text(_l("Other groups (optional)"), 200, Optional())


# A browser without a date input shows a text box: the day, month and year are read in the
# order people write them in English, French and Spanish, apart by spaces, slashes, dots or
# dashes; the year first is what a browser's date input sends.
DATE_FORMATS = ["%Y-%m-%d", "%d %m %Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"]
DATE_HINT = _l("For example, 15 3 2027 (day, month, year)")


def date_field(label, not_a_date, *validators):
    return DateField(label, validators=[*validators, single_line], format=DATE_FORMATS,
                     description=DATE_HINT, invalid_value_message=not_a_date)


class DatesStepForm(FlaskForm):
    start_date = date_field(
        _l("Start date"), _l("Enter the start date as a real date."),
        InputRequired(message=_l("Enter the start date as a real date.")))
    end_date = date_field(_l("End date"), _l("Enter the end date as a real date."), Optional())
    ongoing = BooleanField(_l("There is no end date: the commitment is ongoing"))
    implementation_stage = choice(
        _l("Where is implementation today?"), STARTING_STAGES,
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


class ResultsStepForm(FlaskForm):
    expected_results = long_text(
        _l("Expected results"), 5000, required(_l("Describe the results you expect."))
    )
    progress_measures = long_text(
        _l("How will progress be measured?"), 5000,
        required(_l("Say how you will measure progress.")),
        description=_l("For example: indicators, data sources, who reports and how often."),
    )


class BudgetStepForm(FlaskForm):
    budget_amount = AmountField(
        _l("Budget (optional)"), places=2,
        invalid_value_message=_l("Enter the amount in digits, for example 250000."),
        validators=[Optional(), single_line,
                    NumberRange(min=0, max=10**13, message=_l("Enter an amount of zero or more."))],
        description=_l("Digits only, for example 250000 or 1250.50"),
    )
    budget_currency = long_select(_l("Currency"))
    funding_status = choice(
        _l("Funding status"), vocabularies.FUNDING_STATUSES,
        _l("Say how far the pledge is funded."), field=RadioField,
    )
    support_sought = CheckboxesField(
        _l("What support are you looking for? (optional)"),
        choices=options(vocabularies.SUPPORT_TYPES),
        validators=[Optional()],
    )
    support_details = long_text(_l("Details of the support sought (optional)"), 2000, Optional())

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
        choices=numbered(compacts.GCM_OBJECTIVES),
        validators=[Optional()],
    )
    gcr_objectives = CheckboxesField(
        _l("Global Compact on Refugees (GCR) objectives (optional)"),
        choices=numbered(compacts.GCR_OBJECTIVES),
        validators=[Optional()],
    )


class CheckAnswersForm(FlaskForm):
    consent_contact = BooleanField(
        _l("The Mayors Mechanism may contact me about this pledge."),
        validators=[DataRequired(
            message=_l("Agree to be contacted so that we can process your pledge."))],
    )
    consent_publish = BooleanField(
        _l("The pledge may be published on the Call to Local Action website."),
        description=_l("Contact details are never published."),
    )


STEP_FORMS = {
    "city": CityStepForm,
    "areas": AreasStepForm,
    "commitment": CommitmentStepForm,
    "dates": DatesStepForm,
    "results": ResultsStepForm,
    "budget": BudgetStepForm,
    "alignment": AlignmentStepForm,
}


class EmailLinkForm(FlaskForm):
    email = focal_point_email(_l("The address you gave as the focal point of the pledge."))
