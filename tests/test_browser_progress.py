"""A city reports progress on its accepted pledge in a real browser (Debian's Chromium), with and
without JavaScript; the report form and the withdrawal page have no accessibility violation in
English, French or Spanish, nor the coordinators' timeline that shows a report."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge, ProgressReport

from .support.axe import axe_violations
from .support.chromium import sign_in_with_the_form, switch_language
from .support.client import PLEDGE_ANSWERS
from .support.triage import CoordinatorBrowser, sent_pledge, tracker_path

pytestmark = pytest.mark.browser

LANGUAGES = ("en", "fr", "es")


def accepted_pledge_link(app, make_coordinator, sign_in, live_server):
    pledge_id = sent_pledge(app)
    maria = CoordinatorBrowser(sign_in(make_coordinator(email="maria@uclg.example")))
    assert maria.act(pledge_id, "state", {"target": "accepted", "message": ""}).status_code == 303
    return pledge_id, live_server + tracker_path(app, pledge_id)


def sent_reports(app):
    with app.app_context():
        return db.session.scalars(select(ProgressReport).where(
            ProgressReport.state == "sent")).all()


@pytest.mark.parametrize("javascript", [True, False], ids=["with_javascript",
                                                            "without_javascript"])
def test_a_city_reports_progress_saves_it_comes_back_and_sends_it(
        app, contact_factory, live_server, make_coordinator, sign_in, javascript):
    pledge_id, tracker = accepted_pledge_link(app, make_coordinator, sign_in, live_server)
    city = contact_factory(javascript=javascript)
    page = city.page
    page.goto(tracker)
    page.get_by_role("link", name="Report progress").click()
    expect(page.locator("#main h1")).to_have_text("Report progress")
    expect(page.locator("#pledge-measures")).to_contain_text(PLEDGE_ANSWERS["progress_measures"])

    page.check('input[name="stage"][value="in-progress"]')
    page.fill("#done", "The centre opened in March.")
    page.fill("#share_delivered", "140")
    city.press("Send the report")
    expect(page.locator("#error-summary")).to_contain_text("whole number from 0 to 100")
    expect(page.locator("#share_delivered-error")).to_be_visible()
    expect(page.locator("#share_delivered")).to_have_value("140")  # nothing typed is lost
    expect(page.locator("#done")).to_have_value("The centre opened in March.")
    report_posts = [r for r in city.requests if r[0] == "POST" and r[1].endswith("/report")]
    # With JavaScript the form was swapped in place (htmx); without, the page came back whole.
    assert [kind for _m, _u, kind in report_posts] == \
        (["xhr"] if javascript else ["document"])

    city.press("Save and come back later")
    page.wait_for_url(tracker)
    expect(page.locator("#main")).to_contain_text("Your report is saved as a draft.")
    page.get_by_role("link", name="Continue your report").click()
    expect(page.locator("#share_delivered")).to_have_value("140")
    expect(page.locator('input[name="stage"][value="in-progress"]')).to_be_checked()

    page.fill("#share_delivered", "40")
    page.fill("#evidence_links", "https://prefeitura.example/centre")
    city.press("Send the report")
    page.wait_for_url(tracker)
    expect(page.locator("#main")).to_contain_text(
        "Thank you: your progress report was sent to the coordinators.")
    history = page.locator("#progress-reports")
    expect(history).to_contain_text("The centre opened in March.")
    expect(history).to_contain_text("40%")
    expect(history.get_by_role("link", name="https://prefeitura.example/centre")).to_have_attribute(
        "rel", "nofollow noopener")
    expect(page.locator("#stage")).to_have_text("In progress")
    [report] = sent_reports(app)
    assert (report.share_delivered, report.stage) == (40, "in-progress")
    with app.app_context():
        assert db.session.get(Pledge, pledge_id).implementation_stage == "in-progress"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_report_form_and_the_withdrawal_page_have_no_accessibility_violation(
        app, contact_factory, live_server, make_coordinator, sign_in, language):
    _pledge_id, tracker = accepted_pledge_link(app, make_coordinator, sign_in, live_server)
    city = contact_factory(javascript=True)
    page = city.page
    page.goto(tracker + "/report")
    switch_language(page, language)
    expect(page).to_have_url(re.compile(re.escape(tracker) + r"/report\??$"))
    assert axe_violations(page) == []
    # With its errors shown too (swapped in by htmx).
    page.fill("#share_delivered", "abc")
    page.locator('button[name="action"][value="send"]:not(.visually-hidden)').click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert axe_violations(page) == []

    page.goto(tracker)
    page.locator("#withdraw-link").click()
    expect(page).to_have_url(tracker + "/withdraw")
    expect(page.locator('input[name="confirm"]')).to_be_visible()
    assert axe_violations(page) == []
    page.locator("form.withdraw-form button[type=submit]").click()  # not confirmed
    expect(page.locator("#error-summary")).to_be_visible()
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_coordinators_timeline_with_a_report_has_no_accessibility_violation(
        app, contact_factory, live_server, make_coordinator, sign_in, language):
    pledge_id, tracker = accepted_pledge_link(app, make_coordinator, sign_in, live_server)
    page = contact_factory(javascript=True).page
    page.goto(tracker + "/report")
    page.check('input[name="stage"][value="in-progress"]')
    page.fill("#done", "The centre opened in March.")
    page.locator('button[name="action"][value="send"]:not(.visually-hidden)').click()
    expect(page).to_have_url(tracker)
    assert len(sent_reports(app)) == 1

    coordinator = contact_factory(javascript=True).page
    coordinator.goto(live_server + "/login")
    switch_language(coordinator, language)
    sign_in_with_the_form(coordinator, "maria@uclg.example")
    coordinator.goto(f"{live_server}/triage/pledges/{pledge_id}")
    expect(coordinator.locator("#timeline")).to_contain_text("The centre opened in March.")
    assert axe_violations(coordinator) == []
