"""What the matching pages and the register read: partners found per pledge, open needs by kind
of support and action area, the coordinators' matches, a partner's own, and the offers waiting
for a city's answer."""
from dataclasses import dataclass

from sqlalchemy import String, cast, distinct, func, or_, select
from sqlalchemy.orm import selectinload

from ..catalogue.compacts import ACTION_AREAS
from ..catalogue.vocabularies import SUPPORT_TYPES
from ..extensions import db
from ..models import Pledge, PledgeActionArea, SupportOffer, SupportOfferMove
from ..pledges.publication import is_published, published_conditions
from .states import STATES

SUPPORT_KINDS = tuple(code for code, _label in SUPPORT_TYPES)
AREA_SLUGS = tuple(area.slug for area in ACTION_AREAS)


def partners_found(pledge_ids):
    """{pledge_id: how many partners were found for it}, every id given included (0 when
    none), in one query: the matches that reached "agreed" (those closed since, their work
    done, still count)."""
    pledge_ids = list(pledge_ids)
    if not pledge_ids:
        return {}
    found = dict(db.session.execute(
        select(SupportOffer.pledge_id, func.count(distinct(SupportOffer.id)))
        .join(SupportOfferMove, SupportOfferMove.offer_id == SupportOffer.id)
        .where(SupportOffer.pledge_id.in_(pledge_ids), SupportOfferMove.to_state == "agreed")
        .group_by(SupportOffer.pledge_id)).all())
    return {pledge_id: found.get(pledge_id, 0) for pledge_id in pledge_ids}


def published_pledge(reference):
    """The pledge of the register with that reference, or None."""
    return db.session.scalar(select(Pledge).where(Pledge.reference == reference,
                                                  *published_conditions()))


# --- open needs ------------------------------------------------------------------------------


@dataclass
class AreaNeeds:
    slug: str
    title: str
    pledges: list


@dataclass
class KindNeeds:
    code: str
    label: str
    areas: list

    @property
    def count(self):
        """How many pledges seek it (a pledge listed under two areas counts once)."""
        return len({pledge.id for area in self.areas for pledge in area.pledges})


def seeking_pledges(kind=None, area=None):
    """Published pledges that seek support (of that kind, in that action area)."""
    sought = cast(Pledge.support_sought, String)
    query = (select(Pledge).where(*published_conditions(), sought != "[]")
             .options(selectinload(Pledge.action_areas))
             .order_by(Pledge.city, Pledge.id))
    if kind in SUPPORT_KINDS:  # a known code: no wildcard reaches the pattern
        query = query.where(sought.like(f'%"{kind}"%'))
    if area in AREA_SLUGS:
        query = query.where(Pledge.action_areas.any(PledgeActionArea.area == area))
    return db.session.scalars(query).all()


def met_needs(pledge_ids):
    """(pledge id, kind) of every need a partner agreed to meet."""
    if not pledge_ids:
        return set()
    return set(db.session.execute(select(SupportOffer.pledge_id, SupportOffer.kind).where(
        SupportOffer.pledge_id.in_(pledge_ids), SupportOffer.state == "agreed")).all())


def open_needs(kind=None, area=None):
    """The needs no partner has agreed to meet yet, grouped by kind of support then action
    area (a pledge appears under each kind it seeks and each area it contributes to)."""
    pledges = seeking_pledges(kind, area)
    met = met_needs([pledge.id for pledge in pledges])
    groups = []
    for code, label in SUPPORT_TYPES:
        if kind in SUPPORT_KINDS and code != kind:
            continue
        areas = []
        for action_area in ACTION_AREAS:
            if area in AREA_SLUGS and action_area.slug != area:
                continue
            listed = [p for p in pledges if code in (p.support_sought or [])
                      and action_area.slug in p.action_area_slugs and (p.id, code) not in met]
            if listed:
                areas.append(AreaNeeds(action_area.slug, action_area.title, listed))
        if areas:
            groups.append(KindNeeds(code, label, areas))
    return groups


# --- matches ---------------------------------------------------------------------------------


def state_counts():
    counts = dict(db.session.execute(select(SupportOffer.state, func.count())
                                     .group_by(SupportOffer.state)).all())
    return {state: counts.get(state, 0) for state in STATES}


def matches(state=None, page=1, page_size=50):
    """One page of offers, newest first, with their pledges."""
    query = select(SupportOffer).options(selectinload(SupportOffer.pledge))
    if state in STATES:
        query = query.where(SupportOffer.state == state)
    query = query.order_by(SupportOffer.created_at.desc(), SupportOffer.id.desc())
    return db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()


def moves_of(offers):
    """{offer id: its dated moves, oldest first}, in one query."""
    found = {offer.id: [] for offer in offers}
    if found:
        for move in db.session.scalars(select(SupportOfferMove).where(
                SupportOfferMove.offer_id.in_(list(found)))
                .order_by(SupportOfferMove.at, SupportOfferMove.id)):
            found[move.offer_id].append(move)
    return found


def partner_matches(account):
    """The matches a partner account is in: made while signed in, or to its address."""
    return db.session.scalars(
        select(SupportOffer).options(selectinload(SupportOffer.pledge))
        .where(or_(SupportOffer.partner_id == account.id,
                   SupportOffer.contact_email == account.email.strip().lower()))
        .order_by(SupportOffer.created_at.desc(), SupportOffer.id.desc())).all()


def awaiting_city(pledge):
    """The offers the city was asked about and has not answered yet, while its pledge is in
    the register."""
    if not is_published(pledge):
        return []
    return db.session.scalars(select(SupportOffer).where(
        SupportOffer.pledge_id == pledge.id, SupportOffer.state == "proposed",
        SupportOffer.city_asked_at.is_not(None), SupportOffer.city_consented_at.is_(None),
        SupportOffer.city_declined_at.is_(None)).order_by(SupportOffer.created_at)).all()
