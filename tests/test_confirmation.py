"""After sending, the city is not left alone: its confirmation page shows the reference, says
the confirmation email is on its way and what happens next and when, and leads to the pledge's
status page and to its answers; reloaded, it reads the pledge's state as it is now, whatever the
coordinators have done with it since."""
import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge

from .support.triage import CoordinatorBrowser


def test_a_city_reloading_its_confirmation_after_a_coordinator_opened_the_pledge_sees_in_review(
        app, contact, make_coordinator, sign_in):
    contact.complete_steps()
    contact.submit()
    assert contact.get("/pledge/confirmation").status_code == 200
    assert '<strong id="status">Submitted</strong>' in contact.text
    with app.app_context():
        pledge_id = db.session.scalars(select(Pledge.id)).one()

    maria = CoordinatorBrowser(sign_in(make_coordinator(email="maria@uclg.example")))
    maria.open(pledge_id)
    assert maria.act(pledge_id, "state", {"target": "in_review"}).status_code == 303

    reloaded = contact.get("/pledge/confirmation")
    assert reloaded.status_code == 200
    assert '<strong id="status">In review</strong>' in contact.text


def test_the_confirmation_names_every_review_state_in_the_readers_language(
        app, contact, make_coordinator, sign_in):
    contact.complete_steps()
    contact.submit()
    with app.app_context():
        pledge_id = db.session.scalars(select(Pledge.id)).one()
    maria = CoordinatorBrowser(sign_in(make_coordinator(email="maria@uclg.example")))
    maria.open(pledge_id)
    maria.act(pledge_id, "state", {"target": "declined"})
    contact.post("/language", {"language": "fr", "next": "/pledge/confirmation"})
    assert contact.get("/pledge/confirmation").status_code == 200
    assert '<strong id="status">Refusé</strong>' in contact.text


def sent_by(contact):
    contact.complete_steps()
    contact.submit()
    return contact.get("/pledge/confirmation")


def follow(contact, page):
    """One of the confirmation page's buttons: to the status page, or to the answers."""
    contact.get("/pledge/confirmation")
    response = contact.post("/pledge/confirmation/follow", {"page": page})
    assert response.status_code == 303
    return response.headers["Location"]


def test_a_city_that_sends_its_pledge_is_told_its_email_is_on_its_way_and_what_happens_next(
        app, contact):
    page = sent_by(contact)
    assert page.status_code == 200
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        reference = pledge.reference
    assert f'<strong class="reference" id="reference">{reference}</strong>' in contact.text
    assert ("We are sending a confirmation email to ana.souza@prefeitura.example. It may take a "
            "few minutes to arrive.") in contact.text
    assert ("A coordinator of the Mayors Mechanism will read your pledge and reply within 5 "
            "working days.") in contact.text
    assert "They may ask you for more details" in contact.text
    assert "you can follow your pledge at any time" in contact.text
    assert ">Follow your pledge</button>" in contact.text
    assert ">View or print your answers</button>" in contact.text


def test_the_time_a_coordinator_takes_to_reply_is_the_configured_one(app, contact):
    app.config["FIRST_RESPONSE_WORKING_DAYS"] = 1
    sent_by(contact)
    assert "reply within 1 working day." in contact.text
    app.config["FIRST_RESPONSE_WORKING_DAYS"] = 10
    contact.get("/pledge/confirmation")
    assert "reply within 10 working days." in contact.text


def test_the_confirmation_speaks_the_readers_language(contact):
    sent_by(contact)
    contact.post("/language", {"language": "fr", "next": "/pledge/confirmation"})
    contact.get("/pledge/confirmation")
    assert "dans un délai de 5 jours ouvrables" in contact.text
    assert "Suivre votre engagement" in contact.text
    contact.post("/language", {"language": "es", "next": "/pledge/confirmation"})
    contact.get("/pledge/confirmation")
    assert "en un plazo de 5 días hábiles" in contact.text
    assert "Seguir su compromiso" in contact.text


def test_a_city_follows_its_pledge_from_the_confirmation_through_a_private_link(app, contact):
    sent_by(contact)
    status_page = follow(contact, "status")
    assert re.fullmatch(r"/track/[\w-]+", status_page)
    tracker = contact.get(status_page)
    assert tracker.status_code == 200
    assert '<strong id="status">Submitted</strong>' in contact.text
    assert f'href="{status_page}/answers"' in contact.text  # the tracker links to the answers

    answers_page = follow(contact, "answers")
    assert re.fullmatch(r"/track/[\w-]+/answers", answers_page)
    assert contact.get(answers_page).status_code == 200
    assert "<h1 class=\"heading\">Your answers</h1>" in contact.text
    # Every click made a link of its own; the confirmation still works after it.
    assert answers_page.removesuffix("/answers") != status_page
    assert contact.get("/pledge/confirmation").status_code == 200


def test_a_browser_with_no_sent_pledge_cannot_follow_one(contact):
    contact.complete_steps()  # a draft, not sent
    response = contact.post("/pledge/confirmation/follow", {"page": "status"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge")
    assert "/track/" not in response.headers["Location"]
