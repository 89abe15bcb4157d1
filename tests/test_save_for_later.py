""""Save and come back later" keeps what was typed on the page, complete or not, and shows the
private link; the answers are checked when the contact presses "Save and continue", and the
pledge cannot be checked or sent until they pass."""
import re

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import OutboxEmail, Pledge

from .support.client import (
    CITY_ANSWERS,
    PLEDGE_ANSWERS,
    ContactBrowser,
    drain_queue,
    outbox_rows,
    step_url,
)

LINK = re.compile(r'id="resume-link" type="text" readonly value="([^"]+)"')
EMAILED_LINK = re.compile(r"http://pledges\.test/resume/[A-Za-z0-9_\-]+")
CONTACT = "ana.souza@prefeitura.example"
INCOMPLETE_NOTICE = "You saved this page before it was complete"
MISSING = "Some answers are missing. Please complete this step."
# The pledge's first page (step 3) with only some answers.
HALF_FILLED = {
    "title": "Welcome centre for newcomers",
    "summary": "A one-stop centre for newcomers.\r\nOpen every day.",
    "commitment_kind": "programme",
    "target_groups": ["refugees", "women-children"],
    "target_groups_other": "Students",
}
STILL_MISSING = ("commitment", "commitment_novelty")


def path_of(link):
    return link.removeprefix("http://pledges.test")


def htmx_headers(browser):
    return {"HX-Request": "true", "X-CSRFToken": browser.csrf_token()}


def save_for_later(browser, slug, answers, htmx=False):
    browser.get(step_url(slug))
    headers = htmx_headers(browser) if htmx else None
    response = browser.post(step_url(slug), {**answers, "action": "save_exit"}, headers=headers)
    if htmx:
        assert response.status_code == 200
        assert response.headers["HX-Redirect"] == "/pledge/saved"
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/pledge/saved")
    return response


def come_back(app, path):
    """In a fresh browser, through a private link: where it lands."""
    elsewhere = ContactBrowser(app.test_client())
    elsewhere.get(path)
    assert "Continue my pledge" in elsewhere.text
    response = elsewhere.post(path, {})
    assert response.status_code == 303
    elsewhere.get(response.headers["Location"])
    return elsewhere


def field_error_ids(page):
    return set(re.findall(r'id="([a-z_0-9-]+)-error"', page))


def is_ticked(page, name, value):
    return re.search(rf'<input checked [^>]*name="{name}"[^>]*value="{value}">', page) \
        is not None


def assert_step_three_as_typed(page):
    assert 'value="Welcome centre for newcomers"' in page
    assert "A one-stop centre for newcomers.\r\nOpen every day.</textarea>" in page
    assert 'value="Students"' in page
    assert is_ticked(page, "commitment_kind", "programme")
    assert is_ticked(page, "target_groups", "refugees")
    assert is_ticked(page, "target_groups", "women-children")
    assert not is_ticked(page, "target_groups", "migrant-workers")


def stored(app):
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        db.session.expunge(pledge)
        return pledge


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("way_back", ["saved page", "email"])
def test_save_and_come_back_later_on_a_half_filled_step_three_keeps_every_typed_value(
        app, contact, mailbox, htmx, way_back):
    contact.complete_steps(upto="areas")
    save_for_later(contact, "commitment", HALF_FILLED, htmx=htmx)

    contact.get("/pledge/saved")
    assert "Your answers have been saved" in contact.text
    assert "Some answers are not complete yet" in contact.text
    assert "<li>What you pledge</li>" in contact.text
    pledge = stored(app)
    assert pledge.furthest_step == 2  # an incomplete step does not count in the step order
    assert pledge.title == "Welcome centre for newcomers"  # what can be stored as typed is
    assert pledge.commitment is None  # and the page is kept as typed
    assert pledge.incomplete_steps["commitment"]["target_groups_other"] == ["Students"]

    if way_back == "saved page":
        link = LINK.search(contact.text).group(1)
    else:
        drain_queue(app)
        [message] = mailbox.to(CONTACT)  # the draft's resume link, sent at step 1
        link = EMAILED_LINK.search(message.get_body(("plain",)).get_content()).group(0)
    elsewhere = come_back(app, path_of(link))
    assert elsewhere.page.request.path == step_url("commitment")  # back where they stopped
    assert_step_three_as_typed(elsewhere.text)
    assert INCOMPLETE_NOTICE in elsewhere.text
    assert "error-summary" not in elsewhere.text  # the problems wait for "Save and continue"

    # Save and continue: the problems are shown, and what was typed stays.
    elsewhere.post(step_url("commitment"), {**HALF_FILLED, "action": "continue"})
    assert elsewhere.page.status_code == 422
    assert set(STILL_MISSING) <= field_error_ids(elsewhere.text)
    assert_step_three_as_typed(elsewhere.text)

    # Neither checking the answers nor sending is possible yet.
    response = elsewhere.get("/pledge/review")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith(step_url("commitment"))
    elsewhere.post("/pledge/review", {"consent_contact": "y"})
    assert elsewhere.page.headers["Location"].endswith(step_url("commitment"))
    assert stored(app).reference is None

    # Once the answers pass, the step is complete and the pledge goes out.
    assert elsewhere.answer("commitment").status_code == 303
    pledge = stored(app)
    assert pledge.incomplete_steps is None and pledge.furthest_step == 3
    assert pledge.commitment == PLEDGE_ANSWERS["commitment"]
    assert elsewhere.answer("pledge").status_code == 303  # the pledge's other pages
    assert str(stored(app).start_date) == "2027-01-15"
    assert elsewhere.answer("alignment").status_code == 303
    assert elsewhere.submit().headers["Location"].endswith("/pledge/confirmation")
    assert re.fullmatch(r"CTA-\d{4}-\d{4}", stored(app).reference)


def test_a_date_that_is_not_a_date_yet_is_kept_as_typed_on_its_own_page(app, contact):
    contact.complete_steps(upto="commitment")
    save_for_later(contact, "dates", {"start_date": "next spring", "end_date": "2029-12-31"})
    pledge = stored(app)
    assert pledge.start_date is None and str(pledge.end_date) == "2029-12-31"
    assert pledge.incomplete_steps == {"dates": {"start_date": ["next spring"],
                                                 "end_date": ["2029-12-31"]}}
    assert pledge.furthest_step == 3 and pledge.title == PLEDGE_ANSWERS["title"]
    contact.get(step_url("dates"))
    assert 'value="next spring"' in contact.text and INCOMPLETE_NOTICE in contact.text


def test_a_finished_step_saved_again_unfinished_holds_back_check_your_answers(app, contact):
    contact.complete_steps()
    contact.get(step_url("city") + "?return=review")
    save_for_later(contact, "city", {**CITY_ANSWERS, "leader_name": "", "return": "review"})
    assert stored(app).furthest_step == 7  # the later steps stay open

    response = contact.get("/pledge/review")
    assert response.headers["Location"].endswith(step_url("city"))
    contact.get(step_url("city"))
    assert MISSING in contact.text and INCOMPLETE_NOTICE in contact.text
    assert re.search(r'<input [^>]*id="leader_name"[^>]*value="">', contact.text)
    assert 'value="São Paulo"' in contact.text
    contact.submit()
    assert contact.page.headers["Location"].endswith(step_url("city"))
    assert stored(app).reference is None

    # The last step's "Save and continue" leads to the unfinished step, not to the check.
    contact.answer("alignment")
    assert contact.page.headers["Location"].endswith(step_url("city"))

    contact.answer("city", {"return": "review"})
    assert contact.page.headers["Location"].endswith("/pledge/review")
    assert contact.submit().headers["Location"].endswith("/pledge/confirmation")
    assert stored(app).leader_name == CITY_ANSWERS["leader_name"]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_partly_filled_first_step_starts_the_draft_and_emails_its_link(app, contact, mailbox,
                                                                         htmx):
    save_for_later(contact, "city", {"city": "Lyon", "focal_email": "Marie@Lyon.example",
                                     "focal_phone": "call me"}, htmx=htmx)
    contact.get("/pledge/saved")
    link = LINK.search(contact.text).group(1)
    assert "We have also emailed a link to marie@lyon.example" in contact.text
    drain_queue(app)
    [message] = mailbox.to("marie@lyon.example")
    assert "Hello," in message.get_body(("plain",)).get_content()

    elsewhere = come_back(app, path_of(link))
    assert elsewhere.page.request.path == step_url("city")
    assert 'value="Lyon"' in elsewhere.text and 'value="call me"' in elsewhere.text
    assert 'value="Marie@Lyon.example"' in elsewhere.text
    elsewhere.answer("city", {"focal_email": "marie@lyon.example"})
    assert elsewhere.page.status_code == 303
    assert stored(app).incomplete_steps is None
    assert len(outbox_rows(app, kind="resume_link")) == 1  # the link was emailed once


def test_a_first_step_without_an_email_address_still_gets_its_private_link(app, contact,
                                                                           mailbox):
    save_for_later(contact, "city", {"focal_name": "Marie Curie", "focal_email": "marie@"})
    contact.get("/pledge/saved")
    link = LINK.search(contact.text).group(1)
    assert "Copy it now: without your email address we cannot send it to you." in contact.text
    assert stored(app).focal_email is None
    assert outbox_rows(app) == []

    opened = app.test_client().get(path_of(link)).get_data(as_text=True)
    assert "Your draft pledge is saved." in opened
    elsewhere = come_back(app, path_of(link))
    assert 'value="marie@"' in elsewhere.text and 'value="Marie Curie"' in elsewhere.text
    elsewhere.answer("city", {"focal_email": "marie@lyon.example"})
    assert elsewhere.page.status_code == 303
    drain_queue(app)
    assert len(mailbox.to("marie@lyon.example")) == 1  # the link, now that there is an address


def test_saving_an_empty_first_step_starts_nothing(app, contact):
    contact.get(step_url("city"))
    contact.post(step_url("city"), {"language": "en", "action": "save_exit"})
    assert contact.page.status_code == 422
    assert "There is nothing to save yet" in contact.text
    with app.app_context():
        assert db.session.scalars(select(Pledge)).all() == []
        assert db.session.scalars(select(OutboxEmail)).all() == []


def test_a_line_break_saved_for_later_is_shown_again_but_never_stored_in_its_column(app,
                                                                                    contact):
    contact.complete_steps(upto="city")
    save_for_later(contact, "city", {**CITY_ANSWERS, "city": "Lyon\r\nBcc: x@y.example"})
    assert stored(app).city == CITY_ANSWERS["city"]  # the column keeps its last good answer
    contact.get(step_url("city"))
    assert 'value="Lyon\r\nBcc: x@y.example"' in contact.text
    contact.post(step_url("city"), {**CITY_ANSWERS, "city": "Lyon\r\nBcc: x@y.example"})
    assert contact.page.status_code == 422
    assert "Use a single line, without line breaks." in contact.text


def test_a_step_saved_for_later_with_nothing_chosen_asks_for_it_on_continue(app, contact):
    contact.complete_steps(upto="city")
    save_for_later(contact, "areas", {})
    assert stored(app).furthest_step == 1
    contact.get(step_url("areas"))
    assert INCOMPLETE_NOTICE in contact.text
    contact.post(step_url("areas"), {"action": "continue"})
    assert contact.page.status_code == 422
    assert "Choose at least one action area." in contact.text
    assert contact.answer("areas").status_code == 303
    assert stored(app).incomplete_steps is None
