"""The public pages of partner matching: a pledge's "Offer support" form and its thank-you page,
and "Support sought", the open needs of the register by kind of support and action area."""
from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..catalogue.vocabularies import SUPPORT_TYPES
from ..extensions import db, limit_from_config
from ..web.errors import error_summary
from ..web.htmx import redirect_after_post, render
from ..web.i18n import current_language
from . import bp, moves, queries
from .forms import OfferForm, needs_filter_form

ANSWERS = ("organisation", "kind", "offer", "contact_name", "contact_email", "language")


def pledge_taking_offers_or_404(reference):
    pledge = queries.published_pledge(reference)
    if pledge is None or not moves.takes_offers(pledge):
        abort(404)
    return pledge


def signed_in_partner():
    """The partner account signed in, if any: its offers are its matches."""
    if current_user.is_authenticated and current_user.role == "partner":
        return current_user
    return None


def first_answers():
    """What the form starts with: the reader's language, the kind of support a link named,
    and a signed-in partner's name and address."""
    kind = request.args.get("kind")
    answers = {"language": current_language(),
               "kind": kind if kind in dict(SUPPORT_TYPES) else None}
    partner = signed_in_partner()
    if partner is not None:
        answers.update(contact_email=partner.email, contact_name=partner.name)
    return answers


def render_offer(pledge, form, status=200, problem=None):
    form.keep_shown_at()
    return render("matching/offer.html", "matching/_offer.html", status=status, pledge=pledge,
                  form=form, problem=problem, **error_summary(form))


def looks_automated(form):
    """A robot's post: the honeypot filled in, or sent sooner than a person could. Nothing is
    saved; the page says calmly to send it again, with everything typed kept."""
    reason = form.automated_because(current_app.config["FORM_MIN_FILL_SECONDS"])
    if reason:
        current_app.logger.info("Offer of support refused as automated (%s) from %s", reason,
                                request.remote_addr)
    return reason is not None


@bp.route("/register/<reference>/offer-support", methods=["GET", "POST"])
@limit_from_config("RATE_LIMIT_SUPPORT_OFFER", methods=["POST"])
def offer_support(reference):
    pledge = pledge_taking_offers_or_404(reference)
    if request.method == "GET":
        return render_offer(pledge, OfferForm(formdata=None, data=first_answers()))
    form = OfferForm()
    if looks_automated(form):
        return render_offer(pledge, form, status=422,
                            problem=_("Please check your answers and send the page again."))
    if not form.validate():
        return render_offer(pledge, form, status=422)
    try:
        moves.offer_support(pledge, {name: form[name].data for name in ANSWERS},
                            partner=signed_in_partner())
        db.session.commit()
    except moves.OfferRefused:  # the pledge left the register meanwhile
        db.session.rollback()
        abort(404)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Could not save an offer of support for %s", reference)
        return render_offer(pledge, form, status=503, problem=_(
            "We could not save your offer just now. Nothing you typed is lost: please try "
            "again in a moment."))
    return redirect_after_post(url_for("matching.offer_thanks", reference=reference))


@bp.get("/register/<reference>/offer-support/thank-you")
def offer_thanks(reference):
    pledge = queries.published_pledge(reference)
    if pledge is None:
        abort(404)
    return render_template("matching/thanks.html", pledge=pledge)


@bp.get("/register/support-sought")
def support_sought():
    form = needs_filter_form(request.args, _("Any"))
    groups = queries.open_needs(form.kind.data or None, form.area.data or None)
    # The filters' address, as htmx pushes it: the language switch comes back to it.
    return render("matching/support_sought.html", "matching/_needs.html", groups=groups,
                  form=form, filtered=bool(form.kind.data or form.area.data),
                  push_url=request.full_path.removesuffix("?"))


def rerender_when_too_many(problem):
    """An offer refused by the rate limit: the form again, with what was typed."""
    if request.endpoint != "matching.offer_support" or request.method != "POST":
        return None
    pledge = queries.published_pledge(request.view_args.get("reference"))
    if pledge is None:
        return None
    return render_offer(pledge, OfferForm(), status=429, problem=problem)


def rerender_after_csrf_failure():
    """An offer posted with a stale security token: the answers again, not lost."""
    if request.endpoint != "matching.offer_support" or request.method != "POST":
        return None
    pledge = queries.published_pledge(request.view_args.get("reference"))
    if pledge is None:
        return None
    return render_offer(pledge, OfferForm(meta={"csrf": False}), status=400, problem=_(
        "Your session had expired, so your offer was not sent yet. Check it and send it "
        "again."))
