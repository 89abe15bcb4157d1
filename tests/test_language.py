"""Contacts write in English, French or Spanish: the language can be switched and is kept."""
import re

from flask import render_template_string
from flask_babel import force_locale, gettext

from intake.extensions import lazy_gettext

from .support.client import CITY_ANSWERS, ContactBrowser, step_url
from .support.triage import CoordinatorBrowser, question_asked, sent_pledge, tracker_path


def test_the_browser_language_is_used_by_default(client):
    page = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert '<html lang="es">' in page.get_data(as_text=True)


def test_english_is_the_fallback(client):
    page = client.get("/", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_a_chosen_language_is_remembered_across_pages(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/")
    response = contact.post("/language", {"language": "fr", "next": step_url("city")})
    assert response.status_code == 303
    assert response.headers["Location"] == step_url("city")
    page = contact.get(step_url("city"))
    assert '<html lang="fr">' in contact.text
    assert "Français" in contact.text
    assert page.status_code == 200
    contact.get("/", headers={"Accept-Language": "es"})
    assert '<html lang="fr">' in contact.text


def test_an_email_in_the_recipients_language_leaves_the_page_in_the_readers(app):
    """A French page whose request writes an email in Spanish: the email's strings are Spanish,
    then the page's are French again (templates and lazy labels alike)."""
    page_string = '{{ _("Skip to main content") }}'
    label = lazy_gettext("Skip to main content")
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string(page_string) == "Aller au contenu principal"
        with force_locale("es"):
            assert render_template_string(page_string) == "Saltar al contenido principal"
            assert str(label) == "Saltar al contenido principal"
        assert render_template_string(page_string) == "Aller au contenu principal"
        assert gettext("Skip to main content") == str(label) == "Aller au contenu principal"


def test_country_names_follow_the_language(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/")
    contact.post("/language", {"language": "es", "next": "/"})
    contact.get(step_url("city"))
    assert ">Alemania</option>" in contact.text


def test_the_language_switch_never_sends_the_visitor_elsewhere(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/")
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example",
                   "/\t/evil.example", "/pledge\r\nSet-Cookie: x=1"):
        response = contact.post("/language", {"language": "es", "next": target})
        assert response.headers["Location"] == "/"


def test_an_unknown_language_is_ignored(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/")
    contact.post("/language", {"language": "xx", "next": "/"})
    contact.get("/")
    assert '<html lang="en">' in contact.text


def test_the_focal_points_language_defaults_to_the_page_language(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/")
    contact.post("/language", {"language": "es", "next": "/"})
    contact.get(step_url("city"))
    assert re.search(r'<input checked id="language-\d" name="language"[^>]*value="es">',
                     contact.text)


# --- the switch comes back to the page on screen, with what was typed ----------------------

SWITCH = re.compile(r'<form class="language-switch" id="language-switch"[^>]*>.*?</form>', re.S)
HTMX = {"HX-Request": "true", "HX-Target": "flow"}


def switch_in(html):
    return SWITCH.search(html).group(0)


def switch_next(html):
    return re.search(r'name="next" value="([^"]*)"', switch_in(html)).group(1)


def test_a_contact_who_switches_to_spanish_on_step_two_keeps_what_she_typed(app):
    contact = ContactBrowser(app.test_client())
    contact.answer("city")
    contact.get(step_url("areas"))
    assert 'form="step-form" name="switch_language" value="es"' in switch_in(contact.text)
    response = contact.post(step_url("areas"), {"action_areas": ["climate-resilience"],
                                                "switch_language": "es"})
    assert response.status_code == 303
    assert response.headers["Location"] == step_url("areas")
    contact.get(step_url("areas"))
    assert '<html lang="es">' in contact.text
    assert re.findall(r'<input checked id="action_areas-\d" name="action_areas"[^>]*'
                      r'value="([^"]+)"', contact.text) == ["climate-resilience"]


def test_a_half_typed_first_step_is_kept_as_typed_through_a_switch(app):
    contact = ContactBrowser(app.test_client())
    contact.get(step_url("city"))
    contact.post(step_url("city"), {"city": "Dakar", "focal_email": "not yet an address",
                                    "language": "en", "switch_language": "fr"})
    contact.get(step_url("city"))
    assert '<html lang="fr">' in contact.text
    assert 'value="Dakar"' in contact.text
    assert 'value="not yet an address"' in contact.text
    assert "error-summary" not in contact.text  # its problems are shown once it is sent


def test_switching_language_on_a_blank_first_step_starts_no_pledge(app):
    contact = ContactBrowser(app.test_client())
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {"language": "en", "switch_language": "fr"})
    assert response.headers["Location"] == step_url("city")
    contact.get("/pledge/saved", follow_redirects=True)  # no draft: back to the start
    assert "Continue your draft pledge" not in contact.text
    contact.get(step_url("city"))
    assert '<html lang="fr">' in contact.text


def test_after_an_htmx_move_to_step_two_the_switch_names_step_two(app):
    contact = ContactBrowser(app.test_client())
    contact.get(step_url("city"))
    moved = contact.post(step_url("city"), {**CITY_ANSWERS, "action": "continue"}, headers=HTMX)
    assert moved.headers["HX-Push-Url"] == step_url("areas")
    switch = switch_in(contact.text)
    assert 'hx-swap-oob="true"' in switch
    assert switch_next(contact.text) == step_url("areas")
    assert 'form="step-form" name="switch_language"' in switch


def test_with_htmx_the_switch_on_step_two_saves_it_then_loads_step_two_whole(app):
    contact = ContactBrowser(app.test_client())
    contact.answer("city")
    contact.get(step_url("areas"))
    response = contact.post(step_url("areas"), {"action_areas": ["climate-resilience"],
                                                "switch_language": "fr"}, headers=HTMX)
    assert response.headers["HX-Redirect"] == step_url("areas")  # header and footer in French
    contact.get(step_url("areas"))
    assert '<html lang="fr">' in contact.text
    assert re.search(r'<input checked id="action_areas-\d" name="action_areas"[^>]*'
                     r'value="climate-resilience"', contact.text)


def test_a_contact_changing_an_answer_from_her_answers_switches_and_still_goes_back_there(app):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps()
    contact.get(step_url("areas") + "?return=review")
    assert switch_next(contact.text) == step_url("areas") + "?return=review"
    response = contact.post(step_url("areas"), {"action_areas": ["climate-resilience"],
                                                "return": "review", "switch_language": "es"})
    assert response.headers["Location"] == step_url("areas") + "?return=review"
    contact.get(response.headers["Location"])
    assert '<input type="hidden" name="return" value="review">' in contact.text


def test_after_a_failed_answer_on_the_status_page_the_switch_returns_to_that_page(app):
    pledge_id = sent_pledge(app)
    question_id = question_asked(app, pledge_id)
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(path)
    refused = city.post(f"{path}/questions/{question_id}", {f"q{question_id}-answer": " "})
    assert refused.status_code == 422
    assert switch_next(city.text) == path
    response = city.post("/language", {"language": "fr", "next": switch_next(city.text)})
    assert response.headers["Location"] == path
    page = city.get(path)
    assert page.status_code == 200
    assert '<html lang="fr">' in city.text


def test_after_any_other_failed_post_the_switch_names_a_page_that_opens(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/pledge/email-my-link")
    contact.post("/pledge/email-my-link", {"email": "not an address"})
    assert contact.page.status_code == 422
    assert switch_next(contact.text) == "/pledge/email-my-link"
    assert contact.get(switch_next(contact.text)).status_code == 200


def test_a_coordinators_failed_note_leaves_a_switch_back_to_the_pledge_page(app, sign_in,
                                                                             make_coordinator):
    pledge_id = sent_pledge(app)
    maria = CoordinatorBrowser(sign_in(make_coordinator()))
    refused = maria.act(pledge_id, "notes", {"body": " "})
    assert refused.status_code == 422
    assert switch_next(maria.text) == f"/triage/pledges/{pledge_id}"  # not the form's address
    assert maria.get(switch_next(maria.text)).status_code == 200
