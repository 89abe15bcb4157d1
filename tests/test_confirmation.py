"""After sending: the city's confirmation page reads the pledge's state as it is now, whatever
the coordinators have done with it since."""
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
