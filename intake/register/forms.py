"""The register's filter form: a plain GET form (the URL is the view, to share or cite), shown
with the values parse_filters kept."""
from flask_babel import gettext as _
from wtforms import Form, SearchField, SelectField

from ..catalogue import countries
from ..catalogue.compacts import ACTION_AREAS, GCM_OBJECTIVES, GCR_OBJECTIVES
from ..catalogue.regions import REGIONS
from ..catalogue.vocabularies import SUPPORT_TYPES
from ..extensions import lazy_gettext as _l
from ..pledges.status import IMPLEMENTATION_STAGES
from ..web.fields import long_list, long_select, options
from ..web.i18n import current_language
from . import queries


class RegisterFilterForm(Form):
    q = SearchField(_l("Search"), description=_l("A city, or words of a pledge's title or "
                                                  "summary."))
    area = SelectField(_l("Action area"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    country = long_select(_l("Country"))
    stage = SelectField(_l("Implementation stage"), validate_choice=False)
    support = SelectField(_l("Support sought"), validate_choice=False)
    objective = SelectField(_l("Global Compact objective"), validate_choice=False)
    sort = SelectField(_l("Sort by"), validate_choice=False)


def objective_choices():
    return ([(f"gcm-{number}", _("GCM %(number)d: %(title)s", number=number, title=title))
             for number, title in GCM_OBJECTIVES.items()]
            + [(f"gcr-{number}", _("GCR %(number)d: %(title)s", number=number, title=title))
               for number, title in GCR_OBJECTIVES.items()])


def filter_form(filters):
    form = RegisterFilterForm(formdata=None, data={
        name: getattr(filters, name) for name in ("q", "area", "region", "country", "stage",
                                                  "support", "objective", "sort")})
    anything = [("", _("Any"))]
    long_list(form.country, ("country-or-any", current_language()),
              options(anything + list(countries.country_choices())))
    form.area.choices = options(anything + [(area.slug, area.title) for area in ACTION_AREAS])
    form.region.choices = options(anything + [(key, label) for key, label in REGIONS.items()
                                              if key != "Antarctica"])
    form.stage.choices = options(anything + list(IMPLEMENTATION_STAGES.items()))
    form.support.choices = options(anything + SUPPORT_TYPES)
    form.objective.choices = options(anything + objective_choices())
    form.sort.choices = options(queries.SORTS.items())
    return form
