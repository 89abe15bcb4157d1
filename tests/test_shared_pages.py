"""The start page and step 1 of a new pledge are made once and shown to every new visitor
(intake/web/shared_pages.py): each visitor still gets a page that is theirs alone, with the
security token of their own session and the time they were shown step 1."""
import re
from datetime import datetime, timedelta, timezone
from html import unescape

from intake.web import human_check
from intake.web.human_check import shown_at

from .support.client import CITY_ANSWERS, ContactBrowser, step_url

SHOWN_AT = re.compile(r'name="shown_at" type="hidden" value="([^"]+)"')
CSRF_HEADER = re.compile(r"""<body hx-headers='\{"X-CSRFToken": "([^"]+)"\}'>""")


def visitor(app):
    return ContactBrowser(app.test_client())


def tokens_in(page_text):
    """Every security token the page carries: its forms' and the one htmx sends."""
    return ({unescape(token) for token in re.findall(r'name="csrf_token" (?:type="hidden" )?'
                                                      r'value="([^"]+)"', page_text)}
            | set(CSRF_HEADER.findall(page_text)))


def test_each_new_visitor_of_step_one_gets_the_token_of_their_own_session(app):
    first, second = visitor(app), visitor(app)
    first.get(step_url("city"))
    second.get(step_url("city"))
    [first_token], [second_token] = tokens_in(first.text), tokens_in(second.text)
    assert first_token != second_token
    assert first_token not in second.text
    assert second.text.replace(second_token, "T") == first.text.replace(first_token, "T") \
        .replace(SHOWN_AT.search(first.text).group(1), SHOWN_AT.search(second.text).group(1))
    for contact in (second, first):  # each one's token opens the way with their own session
        response = contact.post(step_url("city"), {
            **CITY_ANSWERS, "action": "continue",
            "shown_at": SHOWN_AT.search(contact.text).group(1)})
        assert response.status_code == 303
        assert response.headers["Location"].endswith(step_url("areas"))


def test_step_one_made_while_forms_carried_no_token_is_not_served_once_they_do(app):
    app.config["WTF_CSRF_ENABLED"] = False
    visitor(app).get(step_url("city"))
    app.config["WTF_CSRF_ENABLED"] = True
    contact = visitor(app)
    contact.get(step_url("city"))
    assert 'name="csrf_token"' in contact.text.split('action="/pledge/step/city')[1]
    response = contact.post(step_url("city"), {
        **CITY_ANSWERS, "action": "continue", "shown_at": SHOWN_AT.search(contact.text).group(1)})
    assert response.status_code == 303


def test_a_token_from_another_visitors_page_is_refused(app):
    first, second = visitor(app), visitor(app)
    first.get(step_url("city"))
    second.get(step_url("city"))
    [first_token] = tokens_in(first.text)
    response = second.client.post(step_url("city"), data={"csrf_token": first_token,
                                                          "city": "Tunis"})
    assert response.status_code == 400


def test_step_one_shown_again_later_carries_the_time_it_was_shown_then(app, monkeypatch):
    morning = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(human_check, "utcnow", lambda: morning)
    visitor(app).get(step_url("city"))
    monkeypatch.setattr(human_check, "utcnow", lambda: morning + timedelta(hours=3))
    later = visitor(app)
    later.get(step_url("city"))
    with app.app_context():
        assert shown_at(SHOWN_AT.search(later.text).group(1)) == morning + timedelta(hours=3)


def test_the_start_page_is_the_same_for_each_new_visitor_but_their_token(app):
    first, second = visitor(app), visitor(app)
    first.get("/")
    second.get("/")
    [first_token], [second_token] = tokens_in(first.text), tokens_in(second.text)
    assert first_token != second_token
    assert second.text.replace(second_token, "T") == first.text.replace(first_token, "T")


def test_a_visitor_with_a_draft_or_another_language_gets_a_page_of_their_own(app):
    visitor(app).get("/")  # the shared start page, in English
    with_draft = visitor(app)
    with_draft.answer("city")
    assert "Continue your draft pledge" in with_draft.get("/").get_data(as_text=True)
    french = ContactBrowser(app.test_client())
    french.client.post("/language", data={"language": "fr", "csrf_token":
                                          tokens_in(french.get("/").get_data(as_text=True))
                                          .pop()})
    assert '<html lang="fr"' in french.get("/").get_data(as_text=True)
    assert '<html lang="en"' in visitor(app).get("/").get_data(as_text=True)
