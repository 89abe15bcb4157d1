"""Which emails each step of a match causes, queued in the step's transaction (the outbox sends
each once: every key names the offer and the step). Each side is written to in its own
language: the partner in the offer's, the city in its pledge's, the coordinators (the
COORDINATOR_EMAILS list) in English. What the templates show is read fresh when the email is
sent (email/message.py)."""
from flask import current_app

from ..email.events import LIST_LANGUAGE
from ..email.outbox import queue_email


def _coordinators(kind, key, offer):
    for address in current_app.config["COORDINATOR_EMAILS"]:
        queue_email(kind, address, LIST_LANGUAGE, f"{key}:{offer.id}:{address}",
                    pledge_id=offer.pledge_id, context={"offer_id": offer.id})


def _partner(kind, key, offer):
    queue_email(kind, offer.contact_email, offer.language, f"{key}:{offer.id}",
                pledge_id=offer.pledge_id, context={"offer_id": offer.id})


def _city(kind, key, offer):
    pledge = offer.pledge
    if pledge.focal_email:
        queue_email(kind, pledge.focal_email, pledge.language, f"{key}:{offer.id}",
                    pledge_id=offer.pledge_id, context={"offer_id": offer.id})


def offer_made(offer):
    """The partner's acknowledgement (within its address's daily budget: the form is public)
    and the coordinators' notice, which links to the Matches view."""
    _partner("offer_received", "offer-received", offer)
    _coordinators("offer_new", "offer-new", offer)


def city_asked(offer):
    """The city is asked, with a private link to its status page, whether it agrees to share
    its contact with this partner."""
    _city("offer_to_city", "offer-to-city", offer)


def city_answered(offer):
    _coordinators("offer_city_answered", "offer-city-answered", offer)


def introduced(offer):
    """Both sides, each with the other's contact (the city agreed to it)."""
    _city("offer_introduced_city", "offer-introduced-city", offer)
    _partner("offer_introduced_partner", "offer-introduced-partner", offer)


def declined(offer):
    """The partner is told politely that the offer is not taken forward: no city contact."""
    _partner("offer_declined", "offer-declined", offer)
