"""Bad input gets a clear message, loses nothing typed, and is never a server error."""
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge

from .support.client import CITY_ANSWERS, PLEDGE_ANSWERS, ContactBrowser, step_url


def test_each_missing_answer_is_named_next_to_its_field_and_in_a_summary(contact):
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {"city": "Tunis"})
    assert response.status_code == 422
    assert 'class="error-summary"' in contact.text
    for field, message in [("country", "Choose your city's country."),
                           ("leader_name", "Enter the name of the mayor or city leader."),
                           ("focal_email", "Enter your email address."),
                           ("marrakech_signatory", "Say whether your city signed")]:
        assert f'id="{field}-error"' in contact.text, field
        assert message in contact.text, message
    assert 'href="#country"' in contact.text
    assert 'href="#marrakech_signatory-0"' in contact.text
    assert 'value="Tunis"' in contact.text
    assert "<title>Error: City and contact" in contact.text


def test_focus_goes_to_the_error_summary_which_leads_to_each_field(contact):
    contact.get(step_url("city"))
    contact.post(step_url("city"), {**CITY_ANSWERS, "leader_name": "", "focal_email": "x"})
    assert re.search(r'<div class="error-summary" id="error-summary" role="alert" '
                     r'tabindex="-1" autofocus>', contact.text)
    assert contact.text.count("autofocus") == 1
    assert 'href="#leader_name"' in contact.text
    first = re.search(r'<input[^>]*id="leader_name"[^>]*>', contact.text).group(0)
    assert 'aria-describedby="leader_name-error"' in first
    assert 'aria-invalid="true"' in first


def test_every_text_field_has_a_length_limit(contact):
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {**CITY_ANSWERS, "city": "x" * 121})
    assert response.status_code == 422
    assert "Use 120 characters or fewer." in contact.text
    assert 'maxlength="120"' in contact.text


def test_long_answers_in_the_pledge_have_limits_too(contact):
    contact.complete_steps(upto="areas")
    contact.answer("pledge", {"summary": "é" * 1001, "commitment": "x" * 5001})
    assert "Use 1000 characters or fewer." in contact.text
    assert "Use 5000 characters or fewer." in contact.text


def test_an_unknown_country_code_is_refused(contact):
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {**CITY_ANSWERS, "country": "XX"})
    assert response.status_code == 422
    assert "Choose a country from the list." in contact.text


def test_an_unknown_action_area_is_refused(app, contact):
    contact.complete_steps(upto="city")
    contact.get(step_url("areas"))
    response = contact.post(step_url("areas"), {"action_areas": ["space-travel"]})
    assert response.status_code == 422
    assert "Choose only from the options listed." in contact.text
    with app.app_context():
        assert db.session.scalars(select(Pledge)).one().furthest_step == 1


def test_an_unknown_currency_or_objective_is_refused(contact):
    contact.complete_steps(upto="areas")
    contact.answer("pledge", {"budget_currency": "ZZZ"})
    assert "Choose a currency from the list." in contact.text
    contact.answer("pledge")
    contact.answer("alignment", {"gcm_objectives": ["24"]})
    assert "Choose only from the options listed." in contact.text


def test_a_badly_written_email_or_phone_or_date_or_amount_is_explained(contact):
    contact.get(step_url("city"))
    contact.post(step_url("city"), {**CITY_ANSWERS, "focal_email": "ana@",
                                    "focal_phone": "call me"})
    assert "Enter an email address in the right format" in contact.text
    assert "Enter a phone number using digits" in contact.text
    contact.answer("city")
    contact.answer("areas")
    contact.answer("pledge", {"start_date": "next spring", "budget_amount": "lots"})
    assert contact.page.status_code == 422  # the dates page, with its own problem only
    assert 'id="start_date-error"' in contact.text and 'value="next spring"' in contact.text
    assert 'id="budget_amount"' not in contact.text
    contact.answer("dates")
    contact.answer("results")
    contact.answer("budget", {"budget_amount": "lots"})
    assert contact.page.status_code == 422
    assert 'id="budget_amount-error"' in contact.text and 'value="lots"' in contact.text


def test_a_post_without_the_security_token_is_refused(app, client):
    response = client.post(step_url("city"), data=CITY_ANSWERS)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Pledge)).all() == []


def test_a_refused_security_token_still_shows_what_was_typed(client):
    response = client.post(step_url("city"), data={**CITY_ANSWERS, "csrf_token": "stale"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Your session had expired" in body
    assert 'value="São Paulo"' in body and 'value="Ricardo Nunes"' in body


def test_an_htmx_post_needs_the_security_token_in_its_header(app, contact):
    contact.get(step_url("city"))
    token = contact.csrf_token()
    htmx = {"HX-Request": "true"}
    refused = contact.client.post(step_url("city"), data=CITY_ANSWERS, headers=htmx)
    assert refused.status_code == 400
    accepted = contact.client.post(step_url("city"), data=CITY_ANSWERS,
                                   headers={**htmx, "X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.headers["HX-Push-Url"] == step_url("areas")


def test_other_posts_need_the_security_token_too(client):
    assert client.post("/language", data={"language": "fr"}).status_code == 400
    assert client.post("/pledge/new").status_code == 400


def test_an_oversized_body_gets_413(contact):
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {**CITY_ANSWERS, "city": "x" * 300_000})
    assert response.status_code == 413
    assert "What you sent is too large" in contact.text


def test_steps_cannot_be_skipped_by_editing_the_url(contact):
    response = contact.get(step_url("commitment"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(step_url("city"))
    contact.complete_steps(upto="city")
    assert contact.get("/pledge/review").headers["Location"].endswith(step_url("areas"))
    contact.get(step_url("alignment"))
    assert contact.page.status_code == 302
    response = contact.post(step_url("alignment"), {"gcm_objectives": ["1"]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(step_url("areas"))


def test_an_unknown_step_is_not_found(client):
    assert client.get(step_url("payment")).status_code == 404


def test_names_in_any_script_round_trip_exactly(app):
    for city in ["São Paulo", "Zürich", "القاهرة", "東京", "Ñuñoa", "Đà Nẵng"]:
        contact = ContactBrowser(app.test_client())
        contact.answer("city", {"city": city, "leader_name": city + " leader"})
        contact.get(step_url("city"))
        assert f'value="{city}"' in contact.text
        contact.complete_steps()
        contact.answer("city", {"city": city}, headers=None)
        contact.get("/pledge/review")
        assert city in contact.text
    with app.app_context():
        stored = set(db.session.scalars(select(Pledge.city)))
    assert {"São Paulo", "Zürich", "القاهرة", "東京", "Ñuñoa", "Đà Nẵng"} <= stored


def test_html_typed_into_a_field_is_shown_escaped(contact):
    attack = '<script>alert("x")</script><b onmouseover=alert(1)>'
    contact.answer("city", {"city": attack, "leader_title": attack})
    contact.complete_steps()
    contact.answer("pledge", {"title": attack, "summary": attack})
    contact.get("/pledge/review")
    assert "<script>alert" not in contact.text
    assert "<b onmouseover" not in contact.text
    assert str(escape(attack)) in contact.text


def test_invisible_control_characters_are_refused_with_a_message(contact):
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {**CITY_ANSWERS, "city": "Lyon\x00"})
    assert response.status_code == 422
    assert "Remove the invisible control characters from this answer." in contact.text


text_answers = st.text(max_size=300)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(city=text_answers, leader=text_answers, email=text_answers, country=st.text(max_size=4))
def test_any_text_in_step_one_is_never_a_server_error_and_is_never_lost(app, city, leader,
                                                                        email, country):
    contact = ContactBrowser(app.test_client())
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {
        **CITY_ANSWERS, "city": city, "leader_name": leader, "focal_email": email,
        "country": country})
    assert response.status_code in (303, 422)
    if response.status_code == 422:
        for typed in (city, leader, email):
            shown = typed.strip()
            if shown and not any(ord(c) < 32 and c not in "\t\n\r" for c in shown):
                assert str(escape(shown)) in contact.text


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(title=text_answers, summary=st.text(max_size=1200), budget=st.text(max_size=20),
       start=st.text(max_size=12), groups=st.lists(st.text(max_size=15), max_size=3))
def test_any_text_in_the_pledge_step_is_never_a_server_error(app, title, summary, budget,
                                                             start, groups):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="areas")
    response = contact.answer("pledge", {**PLEDGE_ANSWERS, "title": title, "summary": summary,
                                         "budget_amount": budget, "start_date": start,
                                         "target_groups": groups})
    assert response.status_code in (303, 422)
    if response.status_code == 303:
        contact.get("/pledge/review")
        assert contact.page.status_code == 200
        assert str(escape(title.strip())) in contact.text
