"""The city follows its pledge through a private link: status, history, questions, withdrawal."""
from .support.client import ContactBrowser
from .support.triage import load, question_asked, sent_pledge, tracker_path


def test_the_city_sees_its_reference_status_and_history(app):
    pledge_id = sent_pledge(app)
    page = app.test_client().get(tracker_path(app, pledge_id))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert load(app, pledge_id).reference in body
    assert '<strong id="status">Submitted</strong>' in body
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_status_refreshes_itself_until_it_is_final(app):
    pledge_id = sent_pledge(app)
    path = tracker_path(app, pledge_id)
    page = app.test_client().get(path).get_data(as_text=True)
    assert 'hx-trigger="every 30s"' in page
    poll = app.test_client().get(path + "/status", headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert poll.get_data(as_text=True).lstrip().startswith('<div id="tracker-status"')
    assert "HX-Request" in poll.headers["Vary"]
    withdraw(app, path)
    final = app.test_client().get(path + "/status", headers={"HX-Request": "true"})
    assert final.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in final.get_data(as_text=True)
    assert "Withdrawn" in final.get_data(as_text=True)


def withdraw(app, path, data=None):
    """From the status page's link to the withdrawal page, and its form."""
    city = ContactBrowser(app.test_client())
    city.get(path)
    assert f'href="{path}/withdraw"' in city.text
    city.get(path + "/withdraw")
    return city, city.post(path + "/withdraw", data if data is not None else {"confirm": "y"})


def test_withdrawal_has_its_own_page_that_says_what_it_means(app):
    pledge_id = sent_pledge(app)
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    tracker = city.get(path).get_data(as_text=True)
    assert 'name="confirm"' not in tracker  # the status page only links to it
    page = city.get(path + "/withdraw")
    assert page.status_code == 200
    assert "Withdraw your pledge" in city.text
    assert "It is no longer published, and no more reminders are sent about it." in city.text
    assert 'name="confirm"' in city.text and 'name="reason"' in city.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    withdraw(app, path)
    assert city.get(path + "/withdraw").status_code == 302  # nothing left to withdraw


def test_the_city_can_withdraw_its_pledge_after_confirming(app):
    pledge_id = sent_pledge(app)
    path = tracker_path(app, pledge_id)
    city, refused = withdraw(app, path, {"reason": "New mayor, new plans."})
    assert refused.status_code == 422
    assert "Tick the box to confirm" in city.text
    assert "New mayor, new plans." in city.text  # nothing typed is lost
    assert load(app, pledge_id).review_state == "submitted"
    city, response = withdraw(app, path, {"confirm": "y", "reason": "New mayor, new plans."})
    assert response.status_code == 303
    assert load(app, pledge_id).review_state == "withdrawn"
    page = app.test_client().get(path).get_data(as_text=True)
    assert "New mayor, new plans." in page and "Withdraw my pledge" not in page


def test_a_link_opens_its_own_pledge_only(app):
    first, second = sent_pledge(app), sent_pledge(app, city={"city": "Lyon", "country": "FR"})
    first_path = tracker_path(app, first)
    body = app.test_client().get(first_path).get_data(as_text=True)
    assert load(app, first).reference in body and load(app, second).reference not in body
    city = ContactBrowser(app.test_client())
    city.get(first_path)
    question_id = question_asked(app, second)
    response = city.post(f"{first_path}/questions/{question_id}",
                         {f"q{question_id}-answer": "Not yours"})
    assert response.status_code == 404


def test_a_forged_or_expired_tracker_link_shows_no_data(app):
    pledge_id = sent_pledge(app)
    path = tracker_path(app, pledge_id)
    forged = app.test_client().get(path[:-3] + "abc")
    assert forged.status_code == 404
    assert "São Paulo" not in forged.get_data(as_text=True)
    assert app.test_client().post(path[:-3] + "abc" + "/withdraw").status_code in (400, 404)


def test_an_empty_answer_is_explained(app):
    pledge_id = sent_pledge(app)
    question_id = question_asked(app, pledge_id)
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(path)
    response = city.post(f"{path}/questions/{question_id}", {f"q{question_id}-answer": " "})
    assert response.status_code == 422
    assert "Write your answer." in city.text
