"""The coordinators' Matches view (offers by state, each move a button) and a partner's page
(the open needs, and the matches it is in)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..accounts.access import may_change, signed_in
from ..extensions import db
from ..models import SupportOffer
from ..pledges.audit import coordinator_actor
from . import bp, moves, queries, states
from .forms import AskCityForm, MoveForm

PAGE_SIZE = 50


def shown_state(value):
    return value if value in states.STATES else None


def page_number():
    try:
        return max(1, int(request.values.get("page", 1)))
    except ValueError:
        return 1


def offer_rows(offers):
    """Each offer with its dated moves, the moves the rules allow, and why an introduction
    must wait, for the page's buttons."""
    moves_by_offer = queries.moves_of(offers)
    rows = []
    for offer in offers:
        match = moves.facts(offer)
        waiting = None
        if offer.state == "proposed":
            try:
                states.check_introduction(match)
            except states.MoveRefused as refused:
                waiting = str(refused)
        rows.append({"offer": offer, "moves": moves_by_offer[offer.id], "match": match,
                     "targets": [t for t in states.allowed_moves(offer.state)
                                 if t != "introduced" or waiting is None],
                     "introduction_waits": waiting,
                     "may_ask_city": offer.state == "proposed" and not match.city_asked
                     and match.pledge_published and match.city_reachable})
    return rows


def render_matches(state=None, problem=None, code=200):
    page = page_number()
    offers = queries.matches(state, page, PAGE_SIZE + 1)
    return render_template(
        "matching/matches.html", rows=offer_rows(offers[:PAGE_SIZE]), state=state,
        counts=queries.state_counts(), page=page, has_next=len(offers) > PAGE_SIZE,
        move_labels=states.MOVE_LABELS, problem=problem), code


@bp.get("/triage/matches")
@may_change
def matches():
    return render_matches(shown_state(request.args.get("state")))


def conflict():
    return _("Someone else changed this match while you were looking at it. Nothing was "
             "saved: check it as it is now, then try again.")


def act(offer_id, form, step, done, already_done):
    """Check the version the page showed, make the step, commit; or show why not. A second
    click of a step that the first one made is told so, not refused."""
    offer = db.get_or_404(SupportOffer, offer_id)
    state = shown_state(request.form.get("shown_state"))
    back = url_for("matching.matches", state=state)
    if not form.validate():
        return render_matches(state, problem=_("Choose one of the moves shown."), code=422)
    if form.version.data != str(offer.version):
        if already_done(offer):
            flash(done(offer))
            return redirect(back, code=303)
        return render_matches(state, problem=conflict(), code=409)
    try:
        step(offer, coordinator_actor(current_user))
        db.session.commit()
    except states.MoveRefused as refused:
        db.session.rollback()
        return render_matches(state, problem=str(refused), code=422)
    except StaleDataError:
        db.session.rollback()
        return render_matches(state, problem=conflict(), code=409)
    flash(done(offer))
    return redirect(back, code=303)


@bp.post("/triage/matches/<int:offer_id>/move")
@may_change
def move(offer_id):
    form = MoveForm()
    target = form.target.data

    def done(offer):
        return _("The match with %(organisation)s is now “%(state)s”.",
                 organisation=offer.organisation, state=states.state_label(target))

    return act(offer_id, form, lambda offer, actor: moves.move(offer, target, actor), done,
               lambda offer: offer.state == target)


@bp.post("/triage/matches/<int:offer_id>/ask-city")
@may_change
def ask_city(offer_id):
    def done(offer):
        return _("The city was asked whether it agrees to be introduced to %(organisation)s.",
                 organisation=offer.organisation)

    return act(offer_id, AskCityForm(), moves.ask_city, done,
               lambda offer: offer.city_asked_at is not None)


@bp.get("/partner")
@signed_in
def partner_page():
    """A partner's own matches (made while signed in, or to its address) and the open needs."""
    return render_template("matching/partner.html", offers=queries.partner_matches(current_user),
                           groups=queries.open_needs())
