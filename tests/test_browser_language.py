"""A city contact switches language in a real browser (Debian's Chromium through Playwright),
with JavaScript (htmx swaps the steps in place) and without it: she stays on the page she is
on, with what she typed; the pages around the switch have no accessibility violation in
English, French or Spanish."""
import re

import pytest
from playwright.sync_api import expect

from intake.pledges.steps import STEPS

from .support.axe import axe_violations
from .support.client import CITY_ANSWERS

LANGUAGES = {"en": "English", "fr": "Français", "es": "Español"}
JS_OR_NOT = pytest.mark.parametrize("javascript", [True, False],
                                    ids=["with_javascript", "without_javascript"])


@pytest.mark.browser
@JS_OR_NOT
def test_a_contact_who_chooses_spanish_on_step_two_stays_there_with_what_she_ticked(
        contact_factory, javascript):
    contact = contact_factory(javascript=javascript)
    page = contact.page
    page.goto("/pledge/step/city")
    if javascript:
        contact.evaluate("window.__noReload = true")
    contact.fill_city(CITY_ANSWERS)
    page.press("#city", "Enter")  # Enter still saves and continues, as the step's own button
    contact.wait_for_path("/pledge/step/areas")
    if javascript:  # step 2 was swapped in: the switch on screen was sent with it
        assert contact.evaluate("window.__noReload === true")
    contact.check_only("action_areas", ["climate-resilience", "vulnerable-groups"])

    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert contact.path == "/pledge/step/areas"
    expect(page.locator("#main h1")).to_have_text("Áreas de acción")
    assert contact.checked_values("action_areas") == ["climate-resilience", "vulnerable-groups"]
    expect(page.locator(".language-switch__current")).to_have_text("Español")


def continue_button(page):
    """The step's own "Save and continue", in whatever language the page is in."""
    return page.locator('.actions button[name="action"][value="continue"]')


@pytest.mark.browser
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_introduction_the_steps_and_an_error_have_no_accessibility_violation(
        contact_factory, language):
    contact = contact_factory(javascript=True)
    page = contact.page
    page.goto("/")
    if language != "en":
        page.locator(".language-switch").get_by_role("button", name=LANGUAGES[language]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert contact.path == "/"
    assert axe_violations(page) == [], "the introduction"

    page.locator(".button--start").click()
    page.wait_for_url(contact.base_url + "/pledge/step/city")
    assert axe_violations(page) == [], "step 1, its language buttons sending the step"
    contact.fill_city(CITY_ANSWERS)
    continue_button(page).click()
    page.wait_for_url(contact.base_url + "/pledge/step/areas")
    contact.fill_areas()
    continue_button(page).click()
    page.wait_for_url(contact.base_url + f"/pledge/step/{STEPS[2].slug}")
    continue_button(page).click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert axe_violations(page) == [], "step 3 with its errors, swapped in"

    page.goto("/resume/not-a-real-link")
    expect(page.locator("#help-contact a")).to_have_attribute("href", re.compile("^mailto:"))
    assert axe_violations(page) == [], "a link that does not work"
