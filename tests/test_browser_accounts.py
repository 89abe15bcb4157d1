"""A coordinator's own account page in a browser: reached from the coordinators' menu, in each
language, with no accessibility violation and no sideways scroll at 320 px; her choice of the
language of her emails is kept."""
import pytest
from playwright.sync_api import expect

from intake.extensions import db
from intake.models import Coordinator

from .support.axe import axe_violations
from .support.chromium import coordinator_at_the_queue

LANGUAGES = {"en": "English", "fr": "Français", "es": "Español"}


@pytest.mark.browser
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_coordinator_chooses_the_language_of_her_emails_in_her_browser(
        app, contact_factory, make_coordinator, language):
    page = coordinator_at_the_queue(contact_factory, make_coordinator).page
    if language != "en":
        page.locator(".language-switch").get_by_role("button", name=LANGUAGES[language]).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator(".coordinator-nav a[href='/account']").click()
    page.wait_for_url("**/account")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320

    page.select_option("#language", "fr")
    page.locator("#main form button[type=submit]").click()
    page.wait_for_url("**/account")
    expect(page.locator("#language")).to_have_value("fr")
    assert axe_violations(page) == []
    with app.app_context():
        assert db.session.query(Coordinator.language).filter_by(
            email="maria@uclg.example").scalar() == "fr"
