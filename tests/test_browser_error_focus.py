"""After a failed submit, a city contact lands on the error summary (focused and in view) in a
real browser (Debian's Chromium through Playwright), with JavaScript (htmx swaps the page in
place and focuses it) and without it (the page loads focused on it)."""
import pytest
from playwright.sync_api import expect

from intake.pledges.steps import STEPS

from .support.client import CITY_ANSWERS

JS_OR_NOT = pytest.mark.parametrize("javascript", [True, False],
                                    ids=["with_javascript", "without_javascript"])
THIRD_STEP = f"/pledge/step/{STEPS[2].slug}"


@pytest.mark.browser
@JS_OR_NOT
def test_a_failed_third_step_lands_on_its_error_summary(contact_factory, javascript):
    contact = contact_factory(javascript=javascript)
    page = contact.page
    page.goto("/pledge/step/city")
    contact.answer_step("city", CITY_ANSWERS, "/pledge/step/areas")
    contact.fill_areas()
    contact.save_and_continue()
    page.wait_for_url(contact.base_url + THIRD_STEP)

    # Sent with nothing answered, from the button at the foot of the page.
    page.locator(".actions").get_by_role("button", name="Save and continue").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    assert contact.path == THIRD_STEP
    if javascript:
        assert contact.evaluate("document.activeElement.id") == "error-summary"
    # Its first link leads to the first answer missing.
    summary.get_by_role("link").first.click()
    first = summary.get_by_role("link").first.get_attribute("href").removeprefix("#")
    expect(page.locator(f"[id='{first}']")).to_be_in_viewport()
