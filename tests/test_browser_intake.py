"""A city contact fills in the pledge in a real browser (Debian's Chromium through Playwright),
with JavaScript (htmx swaps each step in place) and without it (plain form posts)."""
import re

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from intake.pledges.steps import STEPS_BY_SLUG

from .support.axe import axe_violations
from .support.chromium import CAIRO, REFERENCE_PATTERN
from .support.client import (
    ALIGNMENT_ANSWERS,
    AREAS_ANSWERS,
    CITY_ANSWERS,
    PLEDGE_ANSWERS,
    PLEDGE_SLUGS,
    step_url,
)

SITE_NAME = "Call to Local Action on Migration"
JS_OR_NOT = pytest.mark.parametrize("javascript", [True, False],
                                    ids=["with_javascript", "without_javascript"])


def still_the_same_page(contact):
    """The marker set on the first step survives only if no page was loaded since."""
    assert contact.evaluate("window.__noReload === true"), "a full page load happened"


def review_value(page, label):
    row = page.locator(".summary__row", has=page.locator("dt", has_text=re.compile(f"^{label}$")))
    return row.locator("dd.summary__value").inner_text().strip()


def assert_confirmed(contact):
    page = contact.page
    assert contact.path == "/pledge/confirmation"
    expect(page.locator("#reference")).to_have_text(re.compile(f"^{REFERENCE_PATTERN}$"))
    expect(page.locator("#status")).to_have_text("Submitted")


@pytest.mark.browser
def test_city_contact_completes_the_whole_pledge_with_javascript(contact_factory, live_server):
    contact = contact_factory(javascript=True)
    page = contact.page

    page.goto("/")
    page.get_by_role("link", name="Start now").click()
    contact.wait_for_path("/pledge/step/city")
    contact.evaluate("window.__noReload = true")

    # A mistyped email address: the step comes back with the problem shown, nothing lost.
    contact.fill_city({**CAIRO, "focal_email": "focal.point@"})
    contact.save_and_continue()
    email_field = page.locator(".field", has=page.locator("#focal_email"))
    expect(email_field.locator("#focal_email-error")).to_contain_text(
        "Enter an email address in the right format")
    expect(page.locator("#focal_email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#focal_email")).to_have_attribute(
        "aria-describedby", re.compile(r"\bfocal_email-error\b"))
    expect(page).to_have_title(f"Error: City and contact – {SITE_NAME}")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator('a[href="#focal_email"]')).to_contain_text(
        "Enter an email address in the right format")
    expect(summary).to_be_focused()  # its first link leads to the field
    assert contact.evaluate("document.activeElement.id") == "error-summary"
    assert page.input_value("#focal_email") == "focal.point@"
    assert page.locator(".error-message").count() == 1
    contact.assert_city_answers({**CAIRO, "focal_email": "focal.point@"})
    assert contact.path == "/pledge/step/city"
    still_the_same_page(contact)

    page.fill("#focal_email", CAIRO["focal_email"])
    contact.save_and_continue()
    contact.wait_for_path("/pledge/step/areas")
    still_the_same_page(contact)
    expect(page).to_have_title(f"Action areas – {SITE_NAME}")
    expect(page.locator("#error-summary")).to_have_count(0)

    contact.answer_step("areas", AREAS_ANSWERS, "/pledge/step/commitment")
    still_the_same_page(contact)

    # The browser's Back button shows step 2 again, with the areas that were saved. htmx keeps
    # no history cache (historyCacheSize 0, so no answers in localStorage): Back reloads the
    # page from the server, hence a fresh marker afterwards.
    page.go_back()
    contact.wait_for_path("/pledge/step/areas")
    contact.assert_areas_answers()
    contact.evaluate("window.__noReload = true")
    contact.save_and_continue()
    contact.wait_for_path("/pledge/step/commitment")
    still_the_same_page(contact)

    contact.answer_step("pledge", PLEDGE_ANSWERS, "/pledge/step/alignment")
    still_the_same_page(contact)
    contact.answer_step("alignment", ALIGNMENT_ANSWERS, "/pledge/review")
    still_the_same_page(contact)
    expect(page).to_have_title(f"Check your answers – {SITE_NAME}")

    assert review_value(page, "City") == "القاهرة"
    assert review_value(page, "Mayor or city leader") == "إبراهيم صابر, Governor"
    assert review_value(page, "Title") == PLEDGE_ANSWERS["title"]
    contact.send_pledge()
    assert_confirmed(contact)

    # Every request the browser made went to the app itself: no CDN, font or tracker.
    assert contact.requests
    strangers = [url for _, url, _ in contact.requests if not url.startswith(live_server + "/")]
    assert strangers == []
    # The steps were sent by htmx in the page, not as form navigations.
    step_posts = [kind for method, url, kind in contact.requests
                  if method == "POST" and "/pledge/step/" in url]
    assert step_posts and set(step_posts) <= {"xhr", "fetch"}


@pytest.mark.browser
def test_city_contact_completes_the_whole_pledge_without_javascript(contact_factory):
    contact = contact_factory(javascript=False)
    page = contact.page

    page.goto("/")
    page.get_by_role("link", name="Start now").click()
    contact.wait_for_path("/pledge/step/city")

    # A required answer left empty: the page comes back with the problem shown, nothing lost.
    contact.fill_city({**CAIRO, "leader_name": ""})
    contact.save_and_continue()
    expect(page).to_have_title(f"Error: City and contact – {SITE_NAME}")
    leader_field = page.locator(".field", has=page.locator("#leader_name"))
    expect(leader_field.locator("#leader_name-error")).to_contain_text(
        "Enter the name of the mayor or city leader.")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator('#error-summary a[href="#leader_name"]')).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()
    contact.assert_city_answers({**CAIRO, "leader_name": ""})

    page.fill("#leader_name", CAIRO["leader_name"])
    contact.save_and_continue()
    contact.wait_for_path("/pledge/step/areas")
    contact.answer_step("areas", AREAS_ANSWERS, "/pledge/step/commitment")
    contact.answer_step("pledge", PLEDGE_ANSWERS, "/pledge/step/alignment")
    contact.answer_step("alignment", ALIGNMENT_ANSWERS, "/pledge/review")

    assert review_value(page, "City") == "القاهرة"
    contact.send_pledge()
    assert_confirmed(contact)
    step_posts = [kind for method, url, kind in contact.requests
                  if method == "POST" and "/pledge/step/" in url]
    assert step_posts and set(step_posts) == {"document"}


@pytest.mark.browser
@JS_OR_NOT
def test_city_contact_reloads_the_page_mid_way_and_loses_nothing(contact_factory, javascript):
    contact = contact_factory(javascript=javascript)
    page = contact.page

    page.goto("/pledge/step/city")
    contact.answer_step("city", CITY_ANSWERS, "/pledge/step/areas")
    contact.answer_step("areas", AREAS_ANSWERS, "/pledge/step/commitment")

    page.reload()
    contact.wait_for_path("/pledge/step/commitment")
    expect(page.locator("#progress")).to_have_text("Step 3 of 8")

    page.get_by_role("link", name="Back to “Action areas”").click()
    contact.wait_for_path("/pledge/step/areas")
    contact.assert_areas_answers()
    page.get_by_role("link", name="Back to “City and contact”").click()
    contact.wait_for_path("/pledge/step/city")
    contact.assert_city_answers(CITY_ANSWERS)

    # On to the end, with the saved answers as they are: each step shows them again.
    contact.save_and_continue()
    contact.wait_for_path("/pledge/step/areas")
    contact.assert_areas_answers()
    contact.save_and_continue()
    contact.wait_for_path("/pledge/step/commitment")
    contact.answer_step("pledge", PLEDGE_ANSWERS, "/pledge/step/alignment")
    page.reload()
    contact.wait_for_path("/pledge/step/alignment")
    contact.answer_step("alignment", ALIGNMENT_ANSWERS, "/pledge/review")
    page.reload()
    contact.wait_for_path("/pledge/review")
    assert review_value(page, "City") == CITY_ANSWERS["city"]
    assert review_value(page, "Email address") == CITY_ANSWERS["focal_email"].lower()
    contact.send_pledge()
    assert_confirmed(contact)


@pytest.mark.browser
def test_city_contact_saves_and_comes_back_later_through_the_private_link(contact_factory,
                                                                          live_server):
    first_visit = contact_factory(javascript=True)
    page = first_visit.page
    page.goto("/pledge/step/city")
    first_visit.answer_step("city", CAIRO, "/pledge/step/areas")
    first_visit.fill_areas()
    first_visit.press("Save and come back later")
    first_visit.wait_for_path("/pledge/saved")
    link = page.locator("input#resume-link").input_value()
    assert re.fullmatch(re.escape(live_server) + r"/resume/[A-Za-z0-9_\-]+", link), link

    # Days later, on another computer: no cookies from the first visit.
    later = contact_factory(javascript=True)
    page = later.page
    page.goto(link)
    expect(page.locator("#main h1")).to_have_text("Your pledge")
    expect(page.get_by_text("Your draft pledge for القاهرة is saved.")).to_be_visible()
    later.press("Continue my pledge")
    later.wait_for_path("/pledge/step/commitment")

    page.get_by_role("link", name="Back to “Action areas”").click()
    later.wait_for_path("/pledge/step/areas")
    later.assert_areas_answers()
    page.get_by_role("link", name="Back to “City and contact”").click()
    later.wait_for_path("/pledge/step/city")
    later.assert_city_answers(CAIRO)

    later.save_and_continue()
    later.wait_for_path("/pledge/step/areas")
    later.assert_areas_answers()
    later.save_and_continue()
    later.wait_for_path("/pledge/step/commitment")
    later.answer_step("pledge", PLEDGE_ANSWERS, "/pledge/step/alignment")
    later.answer_step("alignment", ALIGNMENT_ANSWERS, "/pledge/review")
    assert review_value(page, "City") == "القاهرة"
    later.send_pledge()
    assert_confirmed(later)


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_the_pledges_four_pages_have_no_axe_violations_empty_in_error_or_filled(
        app, contact_factory, language):
    contact = contact_factory(javascript=True)
    contact.read_in(language)
    page = contact.page
    with app.test_request_context(), force_locale(language):
        titles = {slug: str(step.title) for slug, step in STEPS_BY_SLUG.items()}
        save = gettext("Save and continue")
    page.goto("/pledge/step/city")
    contact.fill_city(CITY_ANSWERS)
    contact.press(save)
    contact.wait_for_path(step_url("areas"), titles["areas"])
    contact.fill_areas()
    contact.press(save)
    for number, slug in enumerate(PLEDGE_SLUGS, start=3):
        contact.wait_for_path(step_url(slug), titles[slug])
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#progress")).to_have_text(re.compile(rf"\D{number}\D+8$"))
        assert axe_violations(page) == [], (language, slug)
        if slug != "budget":  # every answer there is optional or preset but one
            contact.press(save)  # nothing answered: this page's problems only
            expect(page.locator("#error-summary")).to_be_visible()
            assert axe_violations(page) == [], (language, slug, "errors")
        contact.fill_pledge_page(slug)
        contact.press(save)
    contact.wait_for_path(step_url("alignment"), titles["alignment"])
    contact.fill_alignment()
    contact.press(save)
    contact.wait_for_path("/pledge/review", titles["check"])
    expect(page.locator("#main h2", has_text=titles["budget"])).to_be_visible()
    assert axe_violations(page) == [], (language, "check your answers")
