"""What partners, coordinators and cities do to a match. Each step checks the rules
(matching/states.py), changes the offer, and records its dated move, its audit entry and its
emails in the caller's transaction: all of it commits together or not at all."""
from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db
from ..models import SupportOffer, SupportOfferMove
from ..pledges import audit
from ..pledges.publication import is_published
from . import emails, states


class OfferRefused(Exception):
    """The pledge takes no offer (not in the register, or it seeks no support)."""


def partner_actor(offer):
    return audit.Actor("partner", offer.partner_id, offer.organisation[:254])


def facts(offer):
    """What the rules need to know about the offer and its pledge."""
    pledge = offer.pledge
    return states.Match(
        state=offer.state, city_asked=offer.city_asked_at is not None,
        city_agreed=offer.city_consented_at is not None,
        city_declined=offer.city_declined_at is not None,
        pledge_published=is_published(pledge), city_reachable=bool(pledge.focal_email))


def summary(offer):
    """What the audit log keeps of an offer (never the partner's contact)."""
    return {"offer_id": offer.id, "organisation": offer.organisation, "kind": offer.kind,
            "state": offer.state}


def takes_offers(pledge):
    return is_published(pledge) and bool(pledge.support_sought)


def _move(offer, target, actor, message, now):
    before = summary(offer)
    db.session.add(SupportOfferMove(offer_id=offer.id, from_state=offer.state, to_state=target,
                                    at=now, actor_id=actor.id, actor_label=actor.label,
                                    message=message or None))
    offer.state = target
    offer.updated_at = now
    audit.record(actor, "support_offer_moved", offer.pledge_id, before, summary(offer))


def same_offer(pledge, answers):
    """The offer these answers already made, still proposed, if any."""
    return db.session.scalar(select(SupportOffer).where(
        SupportOffer.pledge_id == pledge.id, SupportOffer.state == "proposed",
        SupportOffer.contact_email == answers["contact_email"].strip().lower(),
        SupportOffer.kind == answers["kind"], SupportOffer.offer == answers["offer"],
        SupportOffer.organisation == answers["organisation"]).limit(1))


def offer_support(pledge, answers, partner=None, now=None):
    """A partner's offer for a pledge of the register: proposed, the partner acknowledged and
    the coordinators told. `answers`: organisation, kind, offer, contact_name, contact_email,
    language. `partner`: the partner account signed in, if any."""
    if not takes_offers(pledge):
        raise OfferRefused(OfferRefused.__doc__)
    again = same_offer(pledge, answers)
    if again is not None:  # a double click, or the form sent twice: one offer
        return again
    now = now or utcnow()
    offer = SupportOffer(
        pledge_id=pledge.id, organisation=answers["organisation"], kind=answers["kind"],
        offer=answers["offer"], contact_name=answers.get("contact_name") or None,
        contact_email=answers["contact_email"].strip().lower(),
        language=answers.get("language") or "en", state="proposed",
        partner_id=partner.id if partner is not None else None, created_at=now,
        updated_at=now)
    offer.pledge = pledge
    db.session.add(offer)
    db.session.flush()
    actor = partner_actor(offer)
    db.session.add(SupportOfferMove(offer_id=offer.id, from_state=None, to_state="proposed",
                                    at=now, actor_id=offer.partner_id, actor_label=actor.label))
    audit.record(actor, "support_offered", pledge.id, {}, summary(offer))
    emails.offer_made(offer)
    return offer


def ask_city(offer, actor, now=None):
    """The coordinators put the offer to the city: its status page asks whether it agrees to
    share its contact with this partner."""
    states.check_asking_city(facts(offer))
    now = now or utcnow()
    offer.city_asked_at = offer.updated_at = now
    audit.record(actor, "support_offer_put_to_city", offer.pledge_id, {}, summary(offer))
    emails.city_asked(offer)


def city_answers(offer, agrees, now=None):
    """The city agrees to be introduced to the partner, or declines: the offer then closes and
    the partner is told politely, without the city's contact."""
    states.check_city_answer(facts(offer))
    now = now or utcnow()
    if agrees:
        offer.city_consented_at = offer.updated_at = now
        audit.record(audit.CITY, "support_offer_city_agreed", offer.pledge_id, {},
                     summary(offer))
    else:
        offer.city_declined_at = now
        audit.record(audit.CITY, "support_offer_city_declined", offer.pledge_id, {},
                     summary(offer))
        _move(offer, "closed", audit.CITY, "The city declined the offer.", now)
        emails.declined(offer)
    emails.city_answered(offer)


def move(offer, target, actor, message=None, now=None):
    """A coordinator's move. Introduced: both sides get the other's contact. Closed before an
    introduction: the partner is told politely."""
    states.check_move(facts(offer), target)
    previous = offer.state
    _move(offer, target, actor, message, now or utcnow())
    if target == "introduced":
        emails.introduced(offer)
    elif target == "closed" and previous == "proposed":
        emails.declined(offer)
