"""A button clicked twice: the second request, whether it comes after the first one committed or
at the same moment, gets the page the first one earned (or says plainly that nothing more was
done), never a server error, and nothing is done twice.

"At the same moment" is made certain, not left to chance: both requests are held just before
they change anything, once both have read the pledge, then let go together."""
import re

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import InformationRequest, OutboxEmail, Pledge, ReferenceCounter, StatusChange
from intake.pledges import actions, answers, submission

from .support.browser import csrf_token_in
from .support.client import ANSWERS, ContactBrowser, step_url
from .support.concurrency import at_once, held_together, post_with, same_browser
from .support.triage import CoordinatorBrowser, sent_pledge, tracker_path


def count(app, *where, model=OutboxEmail):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def assert_sent_once(app):
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        assert re.fullmatch(r"CTA-\d{4}-0001", pledge.reference)
        assert db.session.scalar(select(ReferenceCounter.last_number)) == 1
    assert count(app, StatusChange.to_state == "submitted", model=StatusChange) == 1
    assert count(app, OutboxEmail.kind == "acknowledgement") == 1
    assert count(app, OutboxEmail.kind == "coordinator_new_pledge") == 1


# --- "Send the pledge" --------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_second_click_on_send_after_the_first_went_through_gets_the_confirmation(
        app, contact, htmx):
    contact.complete_steps()
    contact.get("/pledge/review")
    second = same_browser(app, contact)
    headers = {"HX-Request": "true"} if htmx else None
    first = contact.post("/pledge/review", {"consent_contact": "y"}, headers=headers)
    again = second.post("/pledge/review", {"consent_contact": "y"}, headers=headers)
    for response in (first, again):
        if htmx:
            assert response.status_code == 200
            assert response.headers["HX-Redirect"] == "/pledge/confirmation"
        else:
            assert response.status_code == 303
            assert response.headers["Location"].endswith("/pledge/confirmation")
    page = second.get("/pledge/confirmation")
    assert page.status_code == 200 and re.search(r"CTA-\d{4}-0001", second.text)
    assert_sent_once(app)


def test_two_clicks_on_send_at_the_same_moment_send_once_and_both_confirm(
        app, contact, monkeypatch):
    contact.complete_steps()
    contact.get("/pledge/review")
    second = same_browser(app, contact)
    held_together(monkeypatch, submission, "missing_answers")
    responses = at_once(post_with(contact, "/pledge/review", {"consent_contact": "y"}),
                        post_with(second, "/pledge/review", {"consent_contact": "y"}))
    for response in responses:
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/pledge/confirmation")
    assert_sent_once(app)


# --- "Save and continue" -------------------------------------------------------------------------


def test_two_clicks_on_save_and_continue_at_the_same_moment_both_go_on(app, contact,
                                                                       monkeypatch):
    contact.complete_steps(upto="areas")
    contact.get(step_url("commitment"))
    second = same_browser(app, contact)
    held_together(monkeypatch, answers, "save_answers")
    data = {**ANSWERS["commitment"], "action": "continue"}
    responses = at_once(post_with(contact, step_url("commitment"), data),
                        post_with(second, step_url("commitment"), data))
    for response in responses:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(step_url("dates"))
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        assert pledge.furthest_step == 3 and pledge.title == ANSWERS["commitment"]["title"]


def test_a_step_saved_in_another_tab_while_the_pledge_is_sent_gets_the_confirmation(
        app, contact):
    contact.complete_steps()
    other_tab = same_browser(app, contact)
    other_tab.get(step_url("budget"))
    contact.submit()
    response = other_tab.post(step_url("budget"), {**ANSWERS["budget"], "action": "continue"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge/confirmation")


# --- the city's status page ----------------------------------------------------------------------


def asked(app, make_coordinator, sign_in):
    coordinator = make_coordinator()
    pledge_id = sent_pledge(app)
    triage = CoordinatorBrowser(sign_in(coordinator))
    triage.act(pledge_id, "request-information", {"questions": "Who runs the centre?"})
    assert triage.page.status_code == 303
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(path)
    field = re.search(r'name="(q(\d+)-answer)"', city.text)
    return pledge_id, path, city, field.group(1), field.group(2)


def flashed(browser, path):
    browser.get(path)
    return browser.text


@pytest.mark.parametrize("moment", ["after", "same"])
def test_an_answer_sent_twice_is_recorded_once(app, make_coordinator, sign_in, monkeypatch,
                                               moment):
    pledge_id, path, city, field, question = asked(app, make_coordinator, sign_in)
    second = same_browser(app, city)
    url, data = f"{path}/questions/{question}", {field: "The city's social services."}
    if moment == "same":
        held_together(monkeypatch, actions, "answer_information")
        responses = at_once(post_with(city, url, data), post_with(second, url, data))
    else:
        responses = [post_with(city, url, data)(), post_with(second, url, data)()]
    assert [r.status_code for r in responses] == [303, 303]
    pages = flashed(city, path) + flashed(second, path)
    assert "Thank you: your answer was sent to the coordinators." in pages
    assert "This question was already answered." in pages
    with app.app_context():
        request = db.session.scalars(select(InformationRequest)).one()
        assert request.answer == "The city's social services."
    assert count(app, OutboxEmail.kind == "information_answered") == 1
    assert count(app, StatusChange.to_state == "in_review", model=StatusChange) == 1


@pytest.mark.parametrize("moment", ["after", "same"])
def test_a_withdrawal_sent_twice_withdraws_once_and_both_say_so(app, monkeypatch, moment):
    pledge_id = sent_pledge(app)
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(path)
    second = same_browser(app, city)
    url, data = f"{path}/withdraw", {"confirm": "y", "reason": "New mayor."}
    if moment == "same":
        held_together(monkeypatch, actions, "withdraw")
        responses = at_once(post_with(city, url, data), post_with(second, url, data))
    else:
        responses = [post_with(city, url, data)(), post_with(second, url, data)()]
    assert [r.status_code for r in responses] == [303, 303]
    for browser in (city, second):
        assert "Your pledge has been withdrawn." in flashed(browser, path)
    assert count(app, StatusChange.to_state == "withdrawn", model=StatusChange) == 1


# --- the coordinators' actions -------------------------------------------------------------------


def coordinator_twins(app, make_coordinator, sign_in, pledge_id):
    coordinator = make_coordinator()
    first = CoordinatorBrowser(sign_in(coordinator))
    first.open(pledge_id)
    twin = CoordinatorBrowser(app.test_client())
    twin.client.set_cookie("session", first.client.get_cookie("session").value)
    twin.page = first.page
    return first, twin


def triage_post(browser, pledge_id, action, data):
    version = re.search(r'name="version" type="hidden" value="(\d+)"', browser.text).group(1)
    token = csrf_token_in(browser.text)
    return lambda: browser.client.post(f"/triage/pledges/{pledge_id}/{action}",
                                       data={"csrf_token": token, "version": version, **data})


@pytest.mark.parametrize("moment", ["after", "same"])
def test_a_coordinators_double_click_changes_the_pledge_once_and_says_so(
        app, make_coordinator, sign_in, monkeypatch, moment):
    pledge_id = sent_pledge(app)
    first, twin = coordinator_twins(app, make_coordinator, sign_in, pledge_id)
    data = {"target": "in_review", "message": "We are reading it."}
    if moment == "same":
        held_together(monkeypatch, actions, "change_review_state")
        responses = at_once(triage_post(first, pledge_id, "state", data),
                            triage_post(twin, pledge_id, "state", data))
    else:
        responses = [triage_post(first, pledge_id, "state", data)(),
                     triage_post(twin, pledge_id, "state", data)()]
    assert sorted(r.status_code for r in responses) == [303, 409]
    conflict = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "Nothing was saved" in conflict
    assert count(app, StatusChange.to_state == "in_review", model=StatusChange) == 1
    assert count(app, OutboxEmail.kind == "status_changed") == 1


@pytest.mark.parametrize("moment", ["after", "same"])
def test_a_note_added_twice_is_kept_once(app, make_coordinator, sign_in, monkeypatch, moment):
    from intake.models import Note

    pledge_id = sent_pledge(app)
    first, twin = coordinator_twins(app, make_coordinator, sign_in, pledge_id)
    data = {"body": "Call the city on Monday."}
    if moment == "same":
        held_together(monkeypatch, actions, "add_note")
        responses = at_once(triage_post(first, pledge_id, "notes", data),
                            triage_post(twin, pledge_id, "notes", data))
    else:
        responses = [triage_post(first, pledge_id, "notes", data)(),
                     triage_post(twin, pledge_id, "notes", data)()]
    assert sorted(r.status_code for r in responses) == [303, 409]
    assert count(app, model=Note) == 1
