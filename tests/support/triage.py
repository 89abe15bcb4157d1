"""Sent pledges and signed-in coordinators for the triage tests."""
import re
from datetime import timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge
from intake.pledges import links

from .client import ContactBrowser

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERSION = re.compile(r'id="version" name="version" type="hidden" value="(\d+)"')


def sent_pledge(app, **answers):
    """A pledge a city sent through the real form; returns its id."""
    contact = ContactBrowser(app.test_client())
    for slug in ("city", "areas", "pledge", "alignment"):
        contact.answer(slug, answers.get(slug))
    contact.submit()
    with app.app_context():
        return db.session.scalars(select(Pledge.id).order_by(Pledge.id.desc())).first()


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


class CoordinatorBrowser:
    """A signed-in coordinator who reads the page before posting its forms, as a person does."""

    def __init__(self, client):
        self.client = client
        self.page = None

    def open(self, pledge_id):
        self.page = self.client.get(f"/triage/pledges/{pledge_id}")
        return self.page

    @property
    def text(self):
        return self.page.get_data(as_text=True)

    def post(self, pledge_id, action, data, version=None):
        """Post one of the page's forms, with the version the page showed (or the one given)."""
        if self.page is None:
            self.open(pledge_id)
        shown_version = VERSION.search(self.text).group(1)
        token = CSRF.search(self.text).group(1)
        self.page = self.client.post(
            f"/triage/pledges/{pledge_id}/{action}",
            data={"csrf_token": token, "version": version or shown_version, **data})
        return self.page
