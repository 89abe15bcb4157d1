"""Sent pledges and signed-in coordinators for the triage tests."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from intake.clock import utcnow
from intake.extensions import db
from intake.models import InformationRequest, Pledge, PledgeActionArea
from intake.pledges import links

from .browser import Browser
from .client import ContactBrowser

VERSION = re.compile(r'id="version" name="version" type="hidden" value="(\d+)"')


def sent_pledge(app, **answers):
    """A pledge a city sent through the real form; returns its id."""
    ContactBrowser(app.test_client()).send_in_one_go(answers)
    with app.app_context():
        return db.session.scalars(select(Pledge.id).order_by(Pledge.id.desc())).first()


def question_asked(app, pledge_id, questions="Budget?"):
    """A question the coordinators put to the city, still open; returns its id."""
    with app.app_context():
        question = InformationRequest(pledge_id=pledge_id, questions=questions)
        db.session.add(question)
        db.session.commit()
        return question.id


def tracker_path(app, pledge_id):
    with app.app_context():
        raw = links.issue_access_token(db.session.get(Pledge, pledge_id), timedelta(days=30))
        db.session.commit()
    return f"/track/{raw}"


def load(app, pledge_id):
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        _loaded = pledge.assignee, pledge.action_areas  # before the session closes
        db.session.expunge_all()
        return pledge


class CoordinatorBrowser(Browser):
    """A signed-in coordinator (or partner) who reads the page before posting its forms, as a
    person does."""

    token_page = "/triage/"

    def open(self, pledge_id):
        return self.get(f"/triage/pledges/{pledge_id}")

    def act(self, pledge_id, action, data, version=None):
        """Post one of the pledge page's forms, with the version the page showed (or the one
        given) and the page's security token."""
        if self.page is None:
            self.open(pledge_id)
        shown_version = VERSION.search(self.text).group(1)
        return self.post(f"/triage/pledges/{pledge_id}/{action}",
                         {"version": version or shown_version, **data})

    def bulk(self, data, headers=None):
        """Tick pledges in the queue and press one of its buttons: the form of the queue's
        page, with that page's security token."""
        self.get("/triage/")
        return self.post("/triage/bulk", data, headers=headers)


def stored_pledges(app, count, **spec):
    """`count` submitted pledges stored straight in the database, sent an hour apart, each
    with a long title and two action areas (the longest a queue row gets); their ids."""
    now = utcnow()
    ids = []
    with app.app_context():
        first = db.session.scalar(select(func.count()).select_from(Pledge))
        for number in range(first + 1, first + count + 1):
            pledge = Pledge(**{
                "reference": f"CTA-2026-{number:04d}", "review_state": "submitted",
                "submitted_at": now - timedelta(hours=number), "city": f"Ville numéro {number}",
                "country_code": "CD", "region": "Africa", "furthest_step": 5,
                "implementation_stage": "planning", "summary": "Language courses.",
                "commitment": "Open two more classes.",
                "title": f"Pledge {number}: a welcome centre and language courses for newcomers",
                **spec})
            pledge.action_areas = [PledgeActionArea(area=area) for area in
                                   ("inclusion-social-cohesion", "essential-services")]
            db.session.add(pledge)
            db.session.flush()
            ids.append(pledge.id)
        db.session.commit()
    return ids
