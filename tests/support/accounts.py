"""Coordinator accounts for the tests: made straight in the database (the sign-in page has its
own tests), test clients already signed in, and the browser of someone who signs in with the
form. Fixtures `make_coordinator` and `sign_in` do it on the test's app."""
import re
from html import unescape

import pytest
from flask_login.utils import _create_identifier

from intake.accounts.coordinators import new_coordinator
from intake.extensions import db

from .browser import Browser

PASSWORD = "correct horse battery staple"
ERROR_SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.S)


def create_coordinator(app, email="coordinator@mayorsmechanism.example", role="coordinator",
                       password=PASSWORD, name=""):
    with app.app_context():
        coordinator = new_coordinator(email, password, role=role, name=name)
        db.session.add(coordinator)
        db.session.commit()
        db.session.refresh(coordinator)
        db.session.expunge(coordinator)
        return coordinator


def signed_in_client(app, coordinator, client=None):
    """A test client whose session is signed in as the coordinator."""
    client = client or app.test_client()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()  # what "strong" session protection checks
    with client.session_transaction() as session:
        session.update({"_user_id": coordinator.get_id(), "_fresh": True, "_id": identifier})
    return client


@pytest.fixture
def make_coordinator(app):
    """Accounts straight in the database (the sign-in page has its own tests)."""

    def make(email="coordinator@mayorsmechanism.example", role="coordinator",
             password=PASSWORD, name=""):
        return create_coordinator(app, email=email, role=role, password=password, name=name)

    return make


@pytest.fixture
def sign_in(app):
    """A test client whose session is signed in as the given coordinator."""

    def sign_in_as(coordinator, client=None):
        return signed_in_client(app, coordinator, client)

    return sign_in_as


class SignInBrowser(Browser):
    """Someone at the sign-in form, then on whatever their role opens (an admin on the account
    pages): a browser without JavaScript."""

    token_page = "/login"

    def sign_in(self, email, password, next_path=None):
        self.get("/login" + (f"?next={next_path}" if next_path else ""))
        return self.post("/login", {"email": email, "password": password,
                                    "next": next_path or ""})

    def problem(self):
        """What the error summary says (the part of the page that answers an attempt)."""
        found = ERROR_SUMMARY.search(self.text)
        return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(0)))).strip() \
            if found else None
