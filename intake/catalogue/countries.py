"""Countries and currencies from ISO 3166-1 and ISO 4217 (pycountry), named in the reader's
language."""
import gettext
from functools import lru_cache

import pycountry
from flask_babel import get_locale


@lru_cache(maxsize=8)
def _catalogue(domain, language):
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(
        domain, pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def _language():
    locale = get_locale()
    return locale.language if locale else "en"


def _common_name(country):
    return getattr(country, "common_name", None) or country.name


COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)
CURRENCY_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies)


def country_name(code, language=None):
    country = pycountry.countries.get(alpha_2=code) if code else None
    if country is None:
        return code or ""
    translate = _catalogue("iso3166-1", language or _language()).gettext
    return translate(_common_name(country))


@lru_cache(maxsize=8)
def _country_choices(language):
    names = [(c.alpha_2, country_name(c.alpha_2, language)) for c in pycountry.countries]
    return sorted(names, key=lambda pair: pair[1].casefold())


def country_choices():
    """(code, name) pairs sorted by the name the reader sees."""
    return _country_choices(_language())


@lru_cache(maxsize=8)
def _currency_choices(language):
    translate = _catalogue("iso4217", language).gettext
    pairs = [(c.alpha_3, f"{c.alpha_3} – {translate(c.name)}") for c in pycountry.currencies]
    return sorted(pairs)


def currency_choices():
    return _currency_choices(_language())
