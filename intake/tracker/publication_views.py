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
from ..extensions import lazy_gettext as _l
from ..pledges import links, publication, status
from .views import bp

# What the city is told, by (publish, whether that changed anything: not on a second click).
DONE = {
    (True, True): _l("Your pledge may be published in the public register."),
    (True, False): _l("Your pledge was already allowed in the public register."),
    (False, True): _l("Your pledge is no longer published in the public register."),
    (False, False): _l("Your pledge was already not published in the public register."),
}


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
    except status.TransitionRefused as refused:  # withdrawn, declined or merged meanwhile
        db.session.rollback()
        return back_to_tracker(token, str(refused))
    except StaleDataError:  # a coordinator changed the pledge at the same moment
        db.session.rollback()
        return back_to_tracker(token, _("The pledge changed meanwhile, so nothing was changed: "
                                        "check the page as it is now, then try again."))
    return back_to_tracker(token, str(DONE[publish, changed]))


def back_to_tracker(token, message):
    flash(message)
    return redirect(url_for("tracker.track", token=token), code=303)
