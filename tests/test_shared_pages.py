"""The start page and step 1 of a new pledge are made once and shown to every new visitor, and
a draft's step and "check your answers" pages once for every draft at the same point of the
form (intake/web/shared_pages.py): each visitor still gets a page that is theirs alone, with
the security token of their own session, the time they were shown step 1 and their draft's
own answers and progress."""
import re
from datetime import datetime, timedelta, timezone
from html import unescape

from itsdangerous import URLSafeTimedSerializer

from intake.web import human_check, shared_pages
from intake.web.human_check import shown_at

from .support.client import CITY_ANSWERS, STEP_SLUGS, ContactBrowser, step_url

SHOWN_AT = re.compile(r'name="shown_at" type="hidden" value="([^"]+)"')
DRAFT_PAGES = (*(step_url(slug) for slug in STEP_SLUGS), "/pledge/review")
HTMX_SWAP = {"HX-Request": "true", "HX-Current-URL": "http://localhost/pledge/review"}
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


def without_stamps(page_text):
    """The page but for what is signed anew on every showing, with the time in it: step 1's
    time stamp and the security token (the same session's, signed again each second)."""
    page_text = SHOWN_AT.sub("", page_text)
    for token in tokens_in(page_text):
        page_text = page_text.replace(token, "T")
    return page_text


def session_tokens(app, page_text):
    """The session's own secret behind each token of the page (Flask-WTF signs it anew)."""
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    return {serializer.loads(token) for token in tokens_in(page_text)}


def lisbon_and_tunis(app):
    """Two contacts whose drafts are complete, with answers of their own."""
    lisbon, tunis = visitor(app), visitor(app)
    lisbon.complete_steps(answers={"city": {**CITY_ANSWERS, "city": "Lisbon", "country": "PT"},
                                   "pledge": {"title": "Lisbon welcome desks"}})
    tunis.complete_steps(answers={"city": {**CITY_ANSWERS, "city": "Tunis", "country": "TN"},
                                  "pledge": {"title": "Tunis language classes"}})
    return lisbon, tunis


def test_a_drafts_pages_shared_with_another_draft_are_those_a_fresh_render_gives(app):
    lisbon, tunis = lisbon_and_tunis(app)
    for page in DRAFT_PAGES:
        for headers in ({}, HTMX_SWAP):  # the page, and the swap of a "Back" or "Change" link
            lisbon.client.get(page, headers=headers)  # made and kept
            shared = tunis.client.get(page, headers=headers)
            shared_pages.forget(app)
            fresh = tunis.client.get(page, headers=headers)
            assert shared.status_code == fresh.status_code == 200
            assert without_stamps(shared.get_data(as_text=True)) \
                == without_stamps(fresh.get_data(as_text=True)), (page, headers)
            assert "Lisbon" not in shared.get_data(as_text=True)
            [own_token] = session_tokens(app, shared.get_data(as_text=True))
            assert session_tokens(app, fresh.get_data(as_text=True)) == {own_token}


def test_each_draft_sees_its_own_answers_and_token_on_a_shared_page(app):
    lisbon, tunis = lisbon_and_tunis(app)
    for page, lisbon_answer, tunis_answer in (
            (step_url("city"), 'value="Lisbon"', 'value="Tunis"'),
            (step_url("commitment"), "Lisbon welcome desks", "Tunis language classes"),
            ("/pledge/review", "Lisbon welcome desks", "Tunis language classes")):
        lisbon.get(page)
        tunis.get(page)
        assert lisbon_answer in lisbon.text and tunis_answer not in lisbon.text
        assert tunis_answer in tunis.text and lisbon_answer not in tunis.text
        [lisbon_token], [tunis_token] = tokens_in(lisbon.text), tokens_in(tunis.text)
        assert lisbon_token != tunis_token


def test_a_draft_gets_the_step_page_of_its_own_point_of_the_form(app):
    further, newer = visitor(app), visitor(app)
    further.complete_steps(upto="pledge")
    newer.complete_steps(upto="city")
    further.get(step_url("areas"))  # made and kept for a draft that went further
    newer.get(step_url("areas"))
    assert "Your draft is saved." in newer.text
    assert "Your draft is saved." not in further.text
    assert newer.text.count("steps__item--done") == 1
    assert further.text.count("steps__item--done") == 5  # all saved but the one on screen


def test_a_step_kept_unfinished_says_so_even_beside_a_finished_drafts_page(app):
    finished, unfinished = visitor(app), visitor(app)
    for contact in (finished, unfinished):
        contact.complete_steps(upto="areas")
    finished.answer("commitment")
    unfinished.answer("commitment", {"title": ""}, action="save_exit")
    finished.complete_steps(upto="commitment")
    finished.get(step_url("commitment"))
    unfinished.get(step_url("commitment"))
    assert "You saved this page before it was complete" in unfinished.text
    assert "You saved this page before it was complete" not in finished.text


def test_an_answer_kept_as_typed_with_invisible_characters_comes_back_as_typed(app):
    """What a page would hold in place of a value of its own (a NUL, a number, a NUL) is
    never read as one, in an answer kept for later as it was typed."""
    first, second = visitor(app), visitor(app)
    for contact in (first, second):
        contact.complete_steps(upto="areas")
    first.get(step_url("commitment"))
    typed = "Centre\x000\x00 for newcomers"
    second.answer("commitment", {"title": typed}, action="save_exit")
    page = second.get(step_url("commitment")).get_data(as_text=True)
    assert f'value="{typed}"' in page
    assert session_tokens(app, page) == session_tokens(app, second.get("/").get_data(as_text=True))


def test_a_process_keeps_a_bounded_number_of_pages(app, monkeypatch):
    monkeypatch.setattr(shared_pages, "MOST_KEPT", 3)
    contact = visitor(app)
    contact.complete_steps()
    for page in DRAFT_PAGES:
        contact.get(page)
        assert len(app.extensions[shared_pages.KEPT]) <= 3
    assert 'value="São Paulo"' in contact.get(step_url("city")).get_data(as_text=True)
