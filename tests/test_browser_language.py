"""A city contact switches language in a real browser (Debian's Chromium through Playwright),
with JavaScript (htmx swaps the steps in place) and without it: she stays on the page she is
on, with what she typed."""
import pytest
from playwright.sync_api import expect

from .support.client import CITY_ANSWERS

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
