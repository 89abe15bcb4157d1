"""The coordinators' pages on a laptop and on a phone, in English, French and Spanish (Debian's
Chromium through Playwright): the queue shows a screenful of pledges at 1366x768, and no page
scrolls sideways at 320 px (a wide table scrolls in its own region) or has an accessibility
violation axe-core can find."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxEmail, Pledge
from intake.pledges import actions, audit

from .support.axe import axe_violations
from .support.chromium import assert_each_page_fits_a_phone_and_passes_axe, rows_above_the_fold
from .support.matching import PartnerBrowser, published_pledge
from .support.triage import sent_pledge, stored_pledges

LANGUAGES = pytest.mark.parametrize("language", ["en", "fr", "es"])
MARIA = "maria@uclg.example"


@pytest.mark.browser
@LANGUAGES
def test_the_queue_shows_fifteen_pledges_on_a_laptop_screen(app, make_coordinator,
                                                           coordinator_factory, language):
    make_coordinator(email=MARIA, name="Maria")
    stored_pledges(app, 30)
    page = coordinator_factory(MARIA, language)
    page.goto("/triage/")
    expect(page.locator("#queue-table tbody tr")).to_have_count(30)
    assert rows_above_the_fold(page) >= 15
    # The bulk actions wait until a row is ticked.
    expect(page.locator(".queue-bulk")).to_be_hidden()
    page.locator(".queue-table__select").first.check()
    expect(page.locator(".queue-bulk")).to_be_visible()
    assert axe_violations(page) == []


def coordinator_pages(app, maria):
    """Every coordinator page, with what makes each one wide: a pledge worked through (its
    timeline, an email that failed), an offer of support, a queue with filters."""
    pledge_id = sent_pledge(app)
    _published_id, reference = published_pledge(app)
    PartnerBrowser(app.test_client()).offer(reference)
    stored_pledges(app, 3)
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        actor = audit.SYSTEM
        actions.change_review_state(pledge, "in_review", actor, message="We are reading it.")
        email = db.session.scalars(select(OutboxEmail).where(
            OutboxEmail.pledge_id == pledge_id)).first()
        email.status, email.fault = "failed", "recipient"
        email.last_error = "550 5.1.1 <contact@city.example>: recipient address rejected"
        db.session.commit()
    return ["/triage/", "/triage/?state=all&q=language&region=Americas",
            f"/triage/pledges/{pledge_id}", "/triage/email-problems", "/triage/matches",
            "/admin/coordinators", f"/admin/coordinators/{maria.id}", "/admin/coordinators/new",
            "/admin/privacy"]


@pytest.mark.browser
@LANGUAGES
def test_no_coordinator_page_scrolls_sideways_on_a_phone(app, make_coordinator,
                                                        coordinator_factory, language):
    maria = make_coordinator(email=MARIA, name="Maria", role="admin")
    paths = coordinator_pages(app, maria)
    page = coordinator_factory(MARIA, language, width=320, height=640)
    assert_each_page_fits_a_phone_and_passes_axe(page, paths, language)


def box(page, selector):
    return page.locator(selector).bounding_box()


@pytest.mark.browser
def test_the_pledge_page_shows_the_pledge_first_its_actions_beside_or_below(
        app, make_coordinator, coordinator_factory):
    make_coordinator(email=MARIA, name="Maria")
    pledge_id = sent_pledge(app)
    laptop = coordinator_factory(MARIA)
    laptop.goto(f"/triage/pledges/{pledge_id}")
    answers, actions = box(laptop, ".pledge-page__answers"), box(laptop, ".pledge-page__actions")
    assert answers["y"] < 768 / 2  # the pledge's answers start in the upper half of the screen
    assert actions["x"] >= answers["x"] + answers["width"]  # beside them
    assert abs(actions["y"] - answers["y"]) < 5
    expect(laptop.locator("#target")).to_have_value("")  # no state chosen beforehand

    phone = coordinator_factory(MARIA, width=320, height=640)
    phone.goto(f"/triage/pledges/{pledge_id}")
    answers, actions = box(phone, ".pledge-page__answers"), box(phone, ".pledge-page__actions")
    assert actions["y"] >= answers["y"] + answers["height"]  # below them
    assert box(phone, ".pledge-page__timeline")["y"] >= actions["y"] + actions["height"]
