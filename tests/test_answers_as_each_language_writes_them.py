"""A contact reads hints and examples that fit her language, and may type a date or an amount
the way her language writes it, with or without the browser's own date picker."""
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge

from .support.client import PLEDGE_SLUGS, step_url

# Each language's hint and phone example; no example is a number in Madrid any more.
HINTS = {
    "en": ("For example, 15 3 2027 (day, month, year)", "+44 7700 900123", "1250.50"),
    "fr": ("Par exemple, 15 3 2027 (jour, mois, année)", "+33 6 12 34 56 78", "1250,50"),
    "es": ("Por ejemplo, 15 3 2027 (día, mes, año)", "+34 612 34 56 78", "1250,50"),
}


def stored(app):
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        db.session.expunge(pledge)
        return pledge


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_each_language_has_its_own_date_hint_phone_example_and_amount(contact, language):
    date_hint, phone, amount = HINTS[language]
    contact.get(step_url("city"), headers={"Accept-Language": language})
    assert '<p class="hint" id="focal_phone-hint">' in contact.text
    assert phone in contact.text and "+34 91" not in contact.text
    contact.complete_steps(upto="commitment")
    contact.get(step_url("dates"), headers={"Accept-Language": language})
    assert contact.text.count(date_hint) == 2  # the start and the end date
    assert 'aria-describedby="start_date-hint"' in contact.text
    contact.complete_steps(upto="results")
    contact.get(step_url("budget"), headers={"Accept-Language": language})
    assert amount in contact.text


def test_a_contact_without_a_date_picker_types_day_month_and_year(app, contact):
    contact.complete_steps(upto="commitment")
    response = contact.answer("dates", {"start_date": "15 3 2027", "end_date": "31/12/2029"})
    assert response.status_code == 303
    pledge = stored(app)
    assert (pledge.start_date, pledge.end_date) == (date(2027, 3, 15), date(2029, 12, 31))


def test_a_date_that_does_not_exist_is_refused_and_shown_as_typed(contact):
    contact.complete_steps(upto="commitment")
    response = contact.answer("dates", {"start_date": "31 2 2027"})
    assert response.status_code == 422
    assert "Enter the start date as a real date." in contact.text
    assert 'value="31 2 2027"' in contact.text


@pytest.mark.parametrize("typed, amount", [
    ("1250,50", Decimal("1250.50")),
    ("250 000", Decimal("250000")),
    ("250\u00a0000,5", Decimal("250000.50")),
    ("1250.50", Decimal("1250.50")),
])
def test_an_amount_may_have_a_decimal_comma_and_spaces_between_thousands(app, contact, typed,
                                                                         amount):
    contact.complete_steps(upto="results")
    assert contact.answer("budget", {"budget_amount": typed}).status_code == 303
    assert stored(app).budget_amount == amount


def test_a_comma_before_three_digits_is_not_guessed_at(app, contact):
    contact.complete_steps(upto="results")
    response = contact.answer("budget", {"budget_amount": "250,000"})
    assert response.status_code == 422
    assert 'id="budget_amount-error"' in contact.text and 'value="250,000"' in contact.text
    assert "Enter the amount in digits, for example 250000." in contact.text


def test_each_page_of_the_pledge_shows_only_its_own_problems(contact):
    contact.complete_steps(upto="areas")
    contact.get(step_url("commitment"))
    response = contact.post(step_url("commitment"), {"action": "continue"})
    assert response.status_code == 422
    shown = {name for name in ("title", "summary", "commitment", "commitment_kind",
                               "commitment_novelty", "target_groups", "start_date",
                               "expected_results", "funding_status", "implementation_stage")
             if f'id="{name}-error"' in contact.text}
    assert shown == {"title", "summary", "commitment", "commitment_kind", "commitment_novelty",
                     "target_groups"}


@pytest.mark.parametrize("language", ["fr", "es"])
def test_each_page_of_the_pledge_says_its_heading_once_in_french_and_spanish(contact, language):
    contact.complete_steps(upto="budget")
    for slug in PLEDGE_SLUGS:
        contact.get(step_url(slug), headers={"Accept-Language": language})
        headings = [text.strip() for _tag, text in
                    re.findall(r"<(h1|h2|legend)\b[^>]*>([^<]+)<", contact.text)]
        [heading] = re.findall(r"<h1\b[^>]*>([^<]+)</h1>", contact.text)
        assert headings.count(heading) == 1, (language, slug, headings)
