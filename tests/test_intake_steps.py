"""A city contact completes the guided pledge form, step by step."""
import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge
from intake.pledges import steps

from .support.client import ALIGNMENT_ANSWERS, CITY_ANSWERS, step_url


def saved_pledge(app):
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        _loaded = pledge.action_areas, pledge.co_pledging_cities  # before the session closes
        db.session.expunge_all()
        return pledge


def test_the_one_introduction_says_what_the_call_is_what_is_asked_and_what_to_have_at_hand(
        contact):
    page = contact.get("/")
    assert page.status_code == 200
    assert "Cities pledge, through the Call to Local Action on Migration" in contact.text
    assert "Before you start" in contact.text
    assert "It takes about 20 minutes." in contact.text
    assert f'href="{step_url("city")}">Start now</a>' in contact.text
    for title in ("City and contact", "Action areas", "What you pledge", "When it will happen",
                  "Results and progress", "Budget and support", "Check your answers"):
        assert title in contact.text


def test_the_old_start_page_address_leads_to_the_introduction(contact):
    moved = contact.get("/pledge")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/"


def test_a_contact_with_a_draft_is_offered_to_continue_it_where_she_stopped(contact):
    contact.complete_steps(upto="areas")
    contact.get("/")
    third = step_url(steps.STEPS[2].slug)
    assert f'href="{third}">Continue your draft pledge</a>' in contact.text
    assert "Start a different pledge instead" in contact.text
    assert "Start now" not in contact.text


def test_each_step_shows_where_the_contact_is(contact):
    contact.get(step_url("city"))
    assert "Step 1 of 8" in contact.text
    contact.answer("city")
    contact.get(step_url("areas"))
    assert "Step 2 of 8" in contact.text
    assert 'aria-current="step"' in contact.text


def test_the_pledge_is_asked_on_four_short_pages_in_turn(contact):
    contact.complete_steps(upto="areas")
    for number, (slug, heading) in enumerate([
            ("commitment", "What you pledge"), ("dates", "When it will happen"),
            ("results", "Results and progress"), ("budget", "Budget and support")], start=3):
        contact.get(step_url(slug))
        assert f"Step {number} of 8" in contact.text
        assert re.search(rf"<h1[^>]*>{heading}</h1>", contact.text)
        response = contact.answer(slug)
        assert response.status_code == 303
    assert response.headers["Location"].endswith(step_url("alignment"))


def test_a_page_of_the_pledge_cannot_be_opened_before_the_one_before_it(contact):
    contact.complete_steps(upto="commitment")
    response = contact.get(step_url("results"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(step_url("dates"))


def test_an_old_link_to_the_single_pledge_page_opens_its_first_page(contact):
    contact.complete_steps()
    response = contact.get(step_url("pledge") + "?return=review")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(step_url("commitment") + "?return=review")


def test_step_one_saves_the_city_and_contact(app, contact):
    response = contact.answer("city")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(step_url("areas"))
    pledge = saved_pledge(app)
    assert pledge.city == "São Paulo"
    assert pledge.country_code == "BR"
    assert pledge.focal_email == "ana.souza@prefeitura.example"
    assert pledge.marrakech_signatory == "yes"
    assert pledge.review_state == "draft"
    assert pledge.furthest_step == 1


def test_step_two_shows_each_action_area_with_its_description(contact):
    contact.answer("city")
    contact.get(step_url("areas"))
    assert "Climate Resilience" in contact.text
    assert "disproportionately affect vulnerable migrants" in contact.text
    assert contact.text.count('name="action_areas"') == 6


def test_step_two_saves_the_chosen_action_areas(app, contact):
    contact.complete_steps(upto="areas")
    assert saved_pledge(app).action_area_slugs == ["essential-services",
                                                   "inclusion-social-cohesion"]


def test_step_three_saves_the_pledge_itself(app, contact):
    contact.complete_steps(upto="pledge")
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        assert pledge.title == "Welcome centre for newcomers"
        assert pledge.target_groups == ["refugees", "women-children"]
        assert str(pledge.start_date) == "2027-01-15"
        assert str(pledge.end_date) == "2029-12-31"
        assert str(pledge.budget_amount) == "250000.00"
        assert pledge.budget_currency == "BRL"
        assert pledge.support_sought == ["technical", "peer-exchange"]
        assert pledge.implementation_stage == "planning"


def test_an_ongoing_commitment_needs_no_end_date(app, contact):
    contact.complete_steps(upto="areas")
    response = contact.answer("pledge", {"end_date": "", "ongoing": "y"})
    assert response.status_code == 303
    pledge = saved_pledge(app)
    assert pledge.ongoing is True and pledge.end_date is None


def test_a_commitment_without_end_date_must_say_it_is_ongoing(contact):
    contact.complete_steps(upto="areas")
    response = contact.answer("pledge", {"end_date": ""})
    assert response.status_code == 422
    assert "Enter the end date, or tick that the commitment is ongoing." in contact.text


def test_an_end_date_before_the_start_is_refused(contact):
    contact.complete_steps(upto="areas")
    contact.answer("pledge", {"end_date": "2026-01-01"})
    assert "The end date must be on or after the start date." in contact.text


def test_a_budget_needs_its_currency(contact):
    contact.complete_steps(upto="areas")
    contact.answer("pledge", {"budget_currency": ""})
    assert "Choose the currency of the budget." in contact.text


def test_the_alignment_step_is_optional(app, contact):
    contact.complete_steps(upto="pledge")
    response = contact.answer("alignment", {"gcm_objectives": [], "gcr_objectives": []})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge/review")
    pledge = saved_pledge(app)
    assert pledge.gcm_objectives == [] and pledge.furthest_step == 7


def test_the_alignment_step_saves_the_compact_objectives(app, contact):
    contact.complete_steps()
    pledge = saved_pledge(app)
    assert pledge.gcm_objectives == [15, 16]
    assert pledge.gcr_objectives == [2]


def test_the_review_shows_every_answer_with_a_change_link(contact):
    contact.complete_steps()
    page = contact.get("/pledge/review")
    assert page.status_code == 200
    for answer in ("São Paulo", "Brazil", "Ricardo Nunes", "Ana Souza", "+55 11 3113-8000",
                   "Access to Essential Services", "Welcome centre for newcomers",
                   "Refugees and asylum seekers", "Jan 15, 2027", "R$250,000.00",
                   "Partly secured", "Technical assistance", "16. ", "Enhance refugee"):
        assert answer in contact.text, answer
    for slug in ("city", "areas", "commitment", "dates", "results", "budget", "alignment"):
        assert contact.text.count(f'href="/pledge/step/{slug}?return=review"') == 1, slug
    for heading in ("What you pledge", "When it will happen", "Results and progress",
                    "Budget and support"):
        assert re.search(rf"<h2[^>]*>{heading}</h2>", contact.text), heading
    assert '<span class="visually-hidden"> City and contact</span>' in contact.text


def test_a_change_from_the_review_returns_to_the_review(app, contact):
    contact.complete_steps()
    contact.get(step_url("commitment") + "?return=review")
    assert 'name="return" value="review"' in contact.text
    assert "Save and return to your answers" in contact.text
    response = contact.post(step_url("commitment"), {
        **contact_answers("commitment"), "title": "Welcome centres in every district",
        "return": "review", "action": "continue"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge/review")
    contact.get("/pledge/review")
    assert "Welcome centres in every district" in contact.text
    assert saved_pledge(app).furthest_step == 7


def contact_answers(slug):
    from .support.client import ANSWERS
    return dict(ANSWERS[slug])


def test_submitting_gives_a_reference_number_and_the_status(app, contact):
    contact.complete_steps()
    response = contact.submit()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge/confirmation")
    page = contact.get("/pledge/confirmation")
    reference = re.search(r'id="reference">([^<]+)<', contact.text).group(1)
    assert re.fullmatch(r"CTA-\d{4}-\d{4}", reference)
    assert '<strong id="status">Submitted</strong>' in contact.text
    assert page.status_code == 200
    pledge = saved_pledge(app)
    assert pledge.reference == reference
    assert pledge.review_state == "submitted"
    assert pledge.consent_contact is True and pledge.consent_publish is True
    assert pledge.submitted_at is not None


def test_reference_numbers_count_up(app, client):
    from .support.client import ContactBrowser

    references = []
    for _ in range(3):
        contact = ContactBrowser(app.test_client())
        contact.complete_steps()
        contact.submit()
        contact.get("/pledge/confirmation")
        references.append(re.search(r'id="reference">([^<]+)<', contact.text).group(1))
    numbers = [int(reference.rsplit("-", 1)[1]) for reference in references]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_the_contact_must_agree_to_be_contacted_before_sending(app, contact):
    contact.complete_steps()
    contact.get("/pledge/review")
    response = contact.post("/pledge/review", {})
    assert response.status_code == 422
    assert "Agree to be contacted so that we can process your pledge." in contact.text
    assert saved_pledge(app).review_state == "draft"


def test_publishing_is_the_contacts_choice(app, contact):
    contact.complete_steps()
    contact.submit(consent_publish=False)
    pledge = saved_pledge(app)
    assert pledge.review_state == "submitted" and pledge.consent_publish is False


def test_a_sent_pledge_can_no_longer_be_edited(contact):
    contact.complete_steps()
    contact.submit()
    response = contact.get(step_url("commitment"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/pledge/confirmation")


def test_a_joint_pledge_lists_its_co_pledging_cities(app, contact):
    contact.get(step_url("city"))
    page = contact.post(step_url("city"), {**CITY_ANSWERS, "action": "add_city"})
    assert page.status_code == 200
    assert 'id="co_cities-0-city"' in contact.text
    assert 'value="São Paulo"' in contact.text  # nothing typed is lost
    page = contact.post(step_url("city"), {
        **CITY_ANSWERS, "co_cities-0-city": "Zürich", "co_cities-0-country": "CH",
        "action": "add_city"})
    assert 'id="co_cities-1-city"' in contact.text
    response = contact.post(step_url("city"), {
        **CITY_ANSWERS, "co_cities-0-city": "Zürich", "co_cities-0-country": "CH",
        "co_cities-1-city": "東京", "co_cities-1-country": "JP", "action": "continue"})
    assert response.status_code == 303
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        assert [(c.city, c.country_code) for c in pledge.co_pledging_cities] == [
            ("Zürich", "CH"), ("東京", "JP")]


def test_a_co_pledging_city_can_be_removed(app, contact):
    contact.get(step_url("city"))
    contact.post(step_url("city"), {
        **CITY_ANSWERS, "co_cities-0-city": "Zürich", "co_cities-0-country": "CH",
        "co_cities-1-city": "Lyon", "co_cities-1-country": "FR", "action": "remove_city:0"})
    assert "Zürich" not in contact.text and 'value="Lyon"' in contact.text
    contact.post(step_url("city"), {
        **CITY_ANSWERS, "co_cities-1-city": "Lyon", "co_cities-1-country": "FR"})
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        assert [c.city for c in pledge.co_pledging_cities] == ["Lyon"]


def test_a_half_filled_co_pledging_city_is_pointed_out(contact):
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {
        **CITY_ANSWERS, "co_cities-0-city": "Zürich", "co_cities-0-country": ""})
    assert response.status_code == 422
    assert 'href="#co_cities-0-country"' in contact.text
    assert "Choose a country from the list." in contact.text


def test_previously_saved_answers_show_when_going_back(contact):
    contact.complete_steps(upto="areas")
    contact.get(step_url("city"))
    assert 'value="São Paulo"' in contact.text
    assert '<option selected value="BR">' in contact.text
    contact.get(step_url("areas"))
    assert 'checked id="action_areas-3"' in contact.text or \
        re.search(r'<input[^>]*checked[^>]*value="essential-services"', contact.text)


class TestWithHtmx:
    """The same steps through htmx: partial swaps, pushed URLs, errors in place."""

    HTMX = {"HX-Request": "true", "HX-Target": "flow", "HX-Current-URL": "http://x/"}

    def test_a_saved_step_answers_with_the_next_step_and_pushes_its_url(self, contact):
        contact.get(step_url("city"))
        response = contact.post(step_url("city"), {**CITY_ANSWERS, "action": "continue"},
                                headers=self.HTMX)
        assert response.status_code == 200
        assert response.headers["HX-Push-Url"] == step_url("areas")
        assert "HX-Request" in response.headers["Vary"]
        body = response.get_data(as_text=True)
        assert re.match(r'\s*<title>Action areas[^<]*</title>\s*<div id="flow"', body)
        assert "<html" not in body
        assert "Step 2 of 8" in body

    def test_the_next_step_swapped_in_shows_its_saved_answers(self, contact):
        contact.complete_steps(upto="areas")
        contact.get(step_url("city"))
        response = contact.post(step_url("city"), {**CITY_ANSWERS, "action": "continue"},
                                headers=self.HTMX)
        body = response.get_data(as_text=True)
        checked = re.findall(r'<input checked[^>]*name="action_areas"[^>]*value="([^"]+)"', body)
        assert checked == ["essential-services", "inclusion-social-cohesion"]

    def test_errors_come_back_in_place_with_what_was_typed(self, contact):
        contact.get(step_url("city"))
        response = contact.post(step_url("city"), {**CITY_ANSWERS, "focal_email": "not-an-email",
                                                   "action": "continue"}, headers=self.HTMX)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert re.match(r'\s*<title>Error: City and contact[^<]*</title>\s*<div id="flow"', body)
        assert 'value="not-an-email"' in body
        assert 'value="São Paulo"' in body
        assert 'id="focal_email-error"' in body
        assert re.search(r'<div class="error-summary" id="error-summary"[^>]*autofocus>', body)

    def test_a_get_through_htmx_answers_with_the_partial(self, contact):
        contact.complete_steps(upto="city")
        response = contact.client.get(step_url("city"), headers=self.HTMX)
        assert re.match(r'\s*<title>City and contact[^<]*</title>\s*<div id="flow"',
                        response.get_data(as_text=True))
        assert "HX-Request" in response.headers["Vary"]

    def test_a_history_restore_gets_the_whole_page(self, contact):
        contact.complete_steps(upto="city")
        response = contact.client.get(step_url("city"), headers={
            **self.HTMX, "HX-History-Restore-Request": "true"})
        assert "<html" in response.get_data(as_text=True)

    def test_the_final_send_redirects_the_browser(self, contact):
        contact.complete_steps()
        contact.get("/pledge/review")
        response = contact.post("/pledge/review", {"consent_contact": "y"}, headers=self.HTMX)
        assert response.status_code == 200
        assert response.headers["HX-Redirect"] == "/pledge/confirmation"

    def test_the_last_question_step_answers_with_the_review(self, contact):
        contact.complete_steps(upto="pledge")
        contact.get(step_url("alignment"))
        response = contact.post(step_url("alignment"), {**ALIGNMENT_ANSWERS}, headers=self.HTMX)
        assert response.headers["HX-Push-Url"] == "/pledge/review"
        assert "Send the pledge" in response.get_data(as_text=True)


def test_every_page_carries_the_csrf_header_for_htmx(contact):
    contact.get(step_url("city"))
    assert re.search(r"""<body hx-headers='\{"X-CSRFToken": "[^"]+"\}'>""", contact.text)
