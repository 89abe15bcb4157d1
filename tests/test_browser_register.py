"""Anyone reads the public register in a real browser (Debian's Chromium): filters it (with
JavaScript the results swap in place, the address follows and Back works; without, the form's
button does it), opens a pledge; axe-core finds nothing on the register's pages in any of the
three languages."""
import re

import pytest
from playwright.sync_api import expect

from intake.extensions import db
from intake.models import Pledge

from .support.axe import axe_violations
from .support.chromium import TIMEOUT_MS
from .support.matching import OFFER_ANSWERS, fill_offer, send_offer, the_offer
from .support.register import sent_report, stored_pledge


def new_page(chromium, base_url, javascript=True, locale="en-GB"):
    context = chromium.get().new_context(java_script_enabled=javascript, base_url=base_url,
                                         locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def register(app):
    dakar = stored_pledge(app, city="Dakar", country="SN", areas=("climate-resilience",),
                          support_sought=["funding"], gcm_objectives=[2],
                          title="Mangroves against floods")
    sent_report(app, dakar)
    return {"Dakar": dakar,
            "Lyon": stored_pledge(app, city="Lyon", country="FR"),
            "Quito": stored_pledge(app, city="Quito", country="EC", language="es",
                                   title="Centro de acogida")}


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["with_javascript",
                                                            "without_javascript"])
def test_a_visitor_filters_the_register_opens_a_pledge_and_offers_support(
        app, chromium, live_server, register, javascript):
    context, page = new_page(chromium, live_server, javascript)
    results = page.locator("#register-results")
    try:
        page.goto("/register")
        expect(results).to_contain_text("Lyon")
        page.select_option("#region", "Africa")
        if not javascript:
            page.get_by_role("button", name="Show the pledges").click()
        expect(page).to_have_url(re.compile(r"/register\?.*region=Africa"))
        expect(results).not_to_contain_text("Lyon")
        expect(results).to_contain_text("Dakar")
        if javascript:
            page.go_back()
            expect(page).to_have_url(re.compile(r"/register$"))
            expect(results).to_contain_text("Lyon")
            page.go_forward()
            expect(page).to_have_url(re.compile(r"region=Africa"))
            expect(results).not_to_contain_text("Lyon")
        page.get_by_role("link", name="Dakar: Mangroves against floods", exact=True).click()
        expect(page).to_have_url(re.compile(f"/register/{register['Dakar']}$"))
        expect(page.locator("h1")).to_contain_text("Dakar")
        expect(page.locator("#reports")).to_contain_text("The centre opened.")

        # The pledge seeks funding: a partner offers it from the pledge's page.
        expect(page.locator("#partners-found")).to_have_text("Partners found: 0")
        page.get_by_role("link", name="Offer support", exact=True).click()
        expect(page.locator("#main h1")).to_have_text("Offer support")
        fill_offer(page, {**OFFER_ANSWERS, "kind": "funding"})
        send_offer(page)
        expect(page.locator("#main h1")).to_have_text("Thank you for your offer")
        offer = the_offer(app)
        assert (offer.organisation, offer.kind, offer.state) == (
            OFFER_ANSWERS["organisation"], "funding", "proposed")
        with app.app_context():
            assert db.session.get(Pledge, offer.pledge_id).reference == register["Dakar"]
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en-GB", "fr-FR", "es-ES"])
def test_the_register_pages_have_no_accessibility_violation(chromium, live_server, register,
                                                            locale):
    context, page = new_page(chromium, live_server, locale=locale)
    try:
        for path in ("/register", f"/register/{register['Quito']}",
                     f"/register/{register['Dakar']}", "/register/data"):
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", locale[:2])
            assert axe_violations(page) == [], path
    finally:
        context.close()
