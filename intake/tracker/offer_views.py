"""Offers of support on the city's status page: the offers the coordinators put to the city,
each with "Yes, introduce us" and "No thanks". Only once the city agreed are both sides
introduced (intake/matching)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db, token_page_limit
from ..matching import moves, queries
from ..matching.forms import CityAnswerForm
from ..matching.states import MoveRefused
from ..models import SupportOffer
from ..pledges import links
from ..web.errors import error_page
from .views import bp


@bp.app_template_global("offers_awaiting_city")
def offers_awaiting_city(pledge):
    """For the status page's offers section (templates/tracker/_offers.html)."""
    return queries.awaiting_city(pledge)


def answered_message(offer):
    if offer.city_consented_at is not None:
        return _("Thank you: a coordinator will now introduce you to %(organisation)s by "
                 "email.", organisation=offer.organisation)
    return _("Thank you: the offer of %(organisation)s was declined. Your contact was not "
             "shared.", organisation=offer.organisation)


@bp.post("/track/<token>/offers/<int:offer_id>")
@token_page_limit
def answer_offer(token, offer_id):
    pledge = links.pledge_for_token(token)
    offer = db.session.get(SupportOffer, offer_id)
    if offer is None or offer.pledge_id != pledge.id:
        return error_page(404)
    back = redirect(url_for("tracker.track", token=token) + "#offers", code=303)
    form = CityAnswerForm()
    if not form.validate():
        flash(_("Choose “Yes, introduce us” or “No thanks”."))
        return back
    try:
        moves.city_answers(offer, form.answer.data == "yes")
        db.session.commit()
    except (MoveRefused, StaleDataError):  # answered already: a second click, another tab
        db.session.rollback()
        offer = db.session.get(SupportOffer, offer_id)
        if offer.city_consented_at or offer.city_declined_at:
            flash(answered_message(offer))
        else:
            flash(_("This offer is not waiting for your answer any more."))
        return back
    flash(answered_message(offer))
    return back
