"""On the city's private tracker: whether the pledge is in the public register, and the city's
choice to stop publishing it or to publish it again (pledges/publication.py decides and
audits). The tracker page includes templates/tracker/_publication.html, which reads
publication_of(pledge)."""
from dataclasses import dataclass

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.validators import AnyOf

from ..extensions import db, token_page_limit
from ..pledges import links, publication, status
from .views import bp


class PublicationForm(FlaskForm):
    """Its one value says what the city chose: "stop" or "publish"."""

    choice = HiddenField(validators=[AnyOf(("stop", "publish"))])


@dataclass(frozen=True)
class Publication:
    published: bool  # in the register now
    consented: bool  # the city's consent (a pledge not yet accepted is published once it is)
    may_change: bool
    url: str
    form: PublicationForm


@bp.app_template_global()
def publication_of(pledge):
    """What the tracker's publication panel shows about this pledge."""
    return Publication(published=publication.is_published(pledge),
                       consented=bool(pledge.consent_publish),
                       may_change=publication.may_change_consent(pledge),
                       url=url_for("register.pledge", reference=pledge.reference or "-"),
                       form=PublicationForm(formdata=None))


@bp.post("/track/<token>/publication")
@token_page_limit
def publication_choice(token):
    pledge = links.pledge_for_token(token)
    form = PublicationForm()
    if not form.validate():
        abort(400)
    publish = form.choice.data == "publish"
    try:
        changed = publication.set_publication_consent(pledge, publish)
        db.session.commit()
    except (status.TransitionRefused, StaleDataError) as refused:
        db.session.rollback()
        flash(str(refused) if isinstance(refused, status.TransitionRefused) else
              _("The pledge changed meanwhile, so nothing was changed: check the page as it "
                "is now, then try again."))
        return redirect(url_for("tracker.track", token=token), code=303)
    if publish:
        flash(_("Your pledge may be published in the public register.") if changed else
              _("Your pledge was already allowed in the public register."))
    else:
        flash(_("Your pledge is no longer published in the public register.") if changed else
              _("Your pledge was already not published in the public register."))
    return redirect(url_for("tracker.track", token=token), code=303)
