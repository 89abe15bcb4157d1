"""Published pledges that seek support, partners offering it (a browser without JavaScript),
and coordinators handling the matches."""
import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge, SupportOffer
from intake.pledges import actions, audit

from .browser import Browser
from .triage import sent_pledge

OFFER_ANSWERS = {
    "organisation": "Fundación Puentes",
    "kind": "technical",
    "offer": "Two case workers for six months, and our case management software.",
    "contact_name": "Lucía Martín",
    "contact_email": "Lucia.Martin@puentes.example",
    "language": "es",
}
VERSION = r'name="version" value="(\d+)"'


def published_pledge(app, publish=True, accept=True, **answers):
    """A pledge a city sent through the real form, accepted by a coordinator: (id, reference)."""
    pledge_id = sent_pledge(app, **answers)
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        pledge.consent_publish = publish
        if accept:
            actions.change_review_state(pledge, "accepted", audit.SYSTEM)
        db.session.commit()
        return pledge_id, pledge.reference


def offer_path(reference):
    return f"/register/{reference}/offer-support"


def the_offer(app, **filters):
    with app.app_context():
        offer = db.session.scalars(select(SupportOffer).filter_by(**filters)
                                   .order_by(SupportOffer.id.desc())).first()
        db.session.expunge_all()
        return offer


class PartnerBrowser(Browser):
    """Someone from an organisation offering support, in a browser without JavaScript."""

    token_page = "/register/support-sought"

    def offer(self, reference, changes=None, **kwargs):
        self.get(offer_path(reference))
        return self.post(offer_path(reference), {**OFFER_ANSWERS, **(changes or {})}, **kwargs)


class MatchesBrowser(Browser):
    """A signed-in coordinator on the Matches view, posting its buttons with the version the
    page showed (or the one given)."""

    token_page = "/triage/matches"

    def shown_version(self, offer_id):
        section = re.search(rf'id="offer-{offer_id}".*?</section>', self.text, re.S)
        found = re.search(VERSION, section.group(0)) if section else None
        return found.group(1) if found else "1"

    def press(self, offer_id, action, data=None, version=None):
        self.get("/triage/matches")
        version = version or self.shown_version(offer_id)
        return self.post(f"/triage/matches/{offer_id}/{action}",
                         {"version": version, **(data or {})})

    def ask_city(self, offer_id, **kwargs):
        return self.press(offer_id, "ask-city", **kwargs)

    def move(self, offer_id, target, **kwargs):
        return self.press(offer_id, "move", {"target": target}, **kwargs)


def fill_offer(page, answers=OFFER_ANSWERS):
    """The offer form, filled in a real browser (a Playwright page)."""
    for field in ("organisation", "offer", "contact_name", "contact_email"):
        page.fill(f"#{field}", answers[field])
    page.check(f'input[name="kind"][value="{answers["kind"]}"]')
    page.check(f'input[name="language"][value="{answers["language"]}"]')


def send_offer(page):
    page.locator("#offer-form button[type=submit]").click()


def offer_in_full(page, reference):
    """A partner offers support for that pledge in a real browser, and sees the thank-you page."""
    page.goto(offer_path(reference))
    fill_offer(page)
    send_offer(page)
    page.wait_for_url(f"**{offer_path(reference)}/thank-you")
