"""A city reads again every answer it sent, on a page of its pledge's private link that it can
print: the reference, the city, the day it was sent and every answer, with a "Print" button
when JavaScript runs and the browser's own advice when not."""
from html import escape

from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge

from .support.client import CITY_ANSWERS, PLEDGE_ANSWERS, ContactBrowser
from .support.triage import load, sent_pledge, tracker_path


def test_a_city_reads_every_answer_it_sent_on_a_page_it_can_print(app):
    pledge_id = sent_pledge(app)
    pledge = load(app, pledge_id)
    path = tracker_path(app, pledge_id) + "/answers"
    page = app.test_client().get(path)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<dd class="summary__value" id="reference">{pledge.reference}</dd>' in body
    assert f'<dd class="summary__value" id="date-sent">{pledge.submitted_at:%b} ' in body
    for field in ("city", "leader_name", "focal_name", "focal_role", "focal_phone"):
        assert escape(CITY_ANSWERS[field]) in body, field
    for field in ("title", "summary", "commitment", "expected_results", "progress_measures",
                  "support_details"):
        assert escape(PLEDGE_ANSWERS[field]) in body, field
    assert "ana.souza@prefeitura.example" in body
    assert ">Change<" not in body  # nothing to change any more
    assert '<button type="button" class="button button--secondary" id="print-button" hidden>' \
        in body
    assert "use your browser's Print command (Ctrl+P, or Cmd+P on a Mac)" in body
    assert "print.js" in body and "<script>" not in body  # no inline script: the CSP forbids it
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_answers_page_is_reached_from_the_status_page_and_leads_back_to_it(app):
    pledge_id = sent_pledge(app)
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(path)
    assert f'<a href="{path}/answers" id="answers-link">View or print your answers</a>' in city.text
    city.get(path + "/answers")
    assert f'href="{path}"' in city.text and "Back to your pledge's page" in city.text


def test_the_answers_page_needs_a_working_link(app):
    pledge_id = sent_pledge(app)
    client = app.test_client()
    unknown = client.get("/track/not-a-real-link/answers")
    assert unknown.status_code == 404
    assert load(app, pledge_id).title not in unknown.get_data(as_text=True)


def test_a_draft_has_no_answers_page_yet_but_its_resume_page(app, contact):
    contact.complete_steps(upto="areas")
    with app.app_context():
        draft_id = db.session.scalars(select(Pledge.id)).one()
    path = tracker_path(app, draft_id)
    response = app.test_client().get(path + "/answers")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(path.replace("/track/", "/resume/"))


def test_the_answers_page_speaks_the_readers_language(app):
    pledge_id = sent_pledge(app)
    path = tracker_path(app, pledge_id) + "/answers"
    city = ContactBrowser(app.test_client())
    city.get(path)
    city.post("/language", {"language": "fr", "next": path})
    city.get(path)
    assert "Vos réponses" in city.text and "Imprimer vos réponses" in city.text
    city.post("/language", {"language": "es", "next": path})
    city.get(path)
    assert "Sus respuestas" in city.text and "Imprimir sus respuestas" in city.text
