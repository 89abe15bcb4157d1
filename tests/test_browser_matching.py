"""A partner offers support in a real browser (Debian's Chromium through Playwright), with
JavaScript (htmx swaps the form in place) and without it; the new pages have no accessibility
violation axe-core can find, in English, French and Spanish."""
import re

import pytest
from playwright.sync_api import expect

from intake.extensions import db
from intake.matching import moves
from intake.models import SupportOffer
from intake.pledges import audit

from .support.axe import axe_violations
from .support.chromium import TIMEOUT_MS, sign_in_with_the_form
from .support.matching import (
    OFFER_ANSWERS,
    fill_offer,
    offer_in_full,
    offer_path,
    published_pledge,
    send_offer,
    the_offer,
)
from .support.triage import tracker_path

JS_OR_NOT = pytest.mark.parametrize("javascript", [True, False],
                                    ids=["with_javascript", "without_javascript"])
THANKS = "Thank you for your offer"


@pytest.fixture
def partner_page(chromium, live_server):
    """A page in a browser context of its own (fresh cookies), in the language asked."""
    contexts = []

    def open_page(javascript=True, locale="en-GB"):
        context = chromium.get().new_context(java_script_enabled=javascript,
                                             base_url=live_server, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.browser
@JS_OR_NOT
def test_a_partner_offers_support_and_sees_what_happens_next(app, partner_page, javascript):
    _pledge_id, reference = published_pledge(app)
    page = partner_page(javascript=javascript)
    page.goto("/register/support-sought")
    page.locator(f'a[href="{offer_path(reference)}?kind=technical"]').first.click()
    expect(page.locator("#main h1")).to_have_text("Offer support")
    assert page.locator('input[name="kind"][value="technical"]').is_checked()

    if javascript:  # a marker that survives only if htmx swaps the form in place
        page.evaluate("window.__noReload = true")
    fill_offer(page, {**OFFER_ANSWERS, "contact_email": "lucia@"})
    send_offer(page)
    expect(page.locator("#error-summary")).to_be_visible()
    if javascript:
        assert page.evaluate("window.__noReload === true"), "a full page load happened"
    expect(page.locator("#contact_email-error")).to_contain_text(
        "Enter an email address in the right format")
    assert page.input_value("#offer") == OFFER_ANSWERS["offer"]  # nothing typed is lost
    assert page.input_value("#organisation") == OFFER_ANSWERS["organisation"]

    page.fill("#contact_email", OFFER_ANSWERS["contact_email"])
    send_offer(page)
    page.wait_for_url(f"**{offer_path(reference)}/thank-you")
    expect(page.locator("#main h1")).to_have_text(THANKS)
    expect(page.locator("#main")).to_contain_text("What happens next")
    offer = the_offer(app)
    assert offer.organisation == OFFER_ANSWERS["organisation"] and offer.state == "proposed"


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en-GB", "fr-FR", "es-ES"])
def test_the_offer_thank_you_and_support_sought_pages_have_no_axe_violations(
        app, partner_page, locale):
    _pledge_id, reference = published_pledge(app)
    page = partner_page(locale=locale)
    page.goto("/register/support-sought")
    assert page.locator("html").get_attribute("lang") == locale[:2]
    assert axe_violations(page) == []
    page.goto(offer_path(reference))
    assert axe_violations(page) == []
    send_offer(page)  # nothing filled in: the errors, swapped in place
    expect(page.locator("#error-summary")).to_be_visible()
    assert axe_violations(page) == []
    fill_offer(page)
    send_offer(page)
    page.wait_for_url(f"**{offer_path(reference)}/thank-you")
    assert axe_violations(page) == []


@pytest.mark.browser
@JS_OR_NOT
def test_the_city_agrees_to_an_offer_on_its_status_page(app, partner_page, javascript):
    pledge_id, reference = published_pledge(app)
    offer_in_full(partner_page(), reference)
    with app.app_context():
        offer = db.session.get(SupportOffer, the_offer(app).id)
        moves.ask_city(offer, audit.SYSTEM)
        db.session.commit()

    city = partner_page(javascript=javascript)
    city.goto(tracker_path(app, pledge_id))
    offers = city.locator("#offers")
    expect(offers).to_contain_text(OFFER_ANSWERS["organisation"])
    expect(offers).to_contain_text("Technical assistance")
    if javascript:
        assert axe_violations(city) == []
    offers.get_by_role("button", name=re.compile("^Yes, introduce us")).click()
    expect(city.locator("#main .notice")).to_contain_text("a coordinator will now introduce you")
    expect(city.locator("#offers")).to_have_count(0)
    assert the_offer(app).city_consented_at is not None


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en-GB", "fr-FR", "es-ES"])
def test_the_matches_view_and_a_partners_page_have_no_axe_violations(
        app, partner_page, make_coordinator, locale):
    _pledge_id, reference = published_pledge(app)
    offer_in_full(partner_page(), reference)
    make_coordinator(email="maria@uclg.example", name="Maria")
    make_coordinator(email=OFFER_ANSWERS["contact_email"].lower(), role="partner",
                     name="Lucía")

    coordinator = partner_page(locale=locale)
    coordinator.goto("/login")
    sign_in_with_the_form(coordinator, "maria@uclg.example")
    coordinator.goto("/triage/matches")
    expect(coordinator.locator("#main")).to_contain_text(OFFER_ANSWERS["organisation"])
    assert axe_violations(coordinator) == []

    partner_account = partner_page(locale=locale)
    partner_account.goto("/login")
    sign_in_with_the_form(partner_account, OFFER_ANSWERS["contact_email"].lower())
    partner_account.goto("/partner")
    expect(partner_account.locator("#main")).to_contain_text(reference)  # the match it is in
    assert axe_violations(partner_account) == []
