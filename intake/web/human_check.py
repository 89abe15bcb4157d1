"""Spam protection a person never notices, for a public form (never a CAPTCHA): a honeypot field
that only a robot fills in, and a minimum fill time, from a signed stamp of when the form was
first shown. Mixed into a FlaskForm; the view decides what a failure means."""
from datetime import datetime, timezone

from flask import current_app
from itsdangerous import BadSignature, Signer
from wtforms import HiddenField, StringField

from ..clock import utcnow
from ..extensions import lazy_gettext as _l


def _signer():
    return Signer(current_app.config["SECRET_KEY"], salt="form-shown-at")


def shown_at_stamp(moment=None):
    """The signed time a form was shown (the one clock's), for its hidden field."""
    return _signer().sign(f"{(moment or utcnow()).timestamp():.3f}").decode()


def shown_at(stamp):
    """When the form was shown, from its stamp; None when it is missing or not ours."""
    try:
        seconds = float(_signer().unsign(stamp or ""))
    except (BadSignature, ValueError, TypeError):
        return None
    return datetime.fromtimestamp(seconds, timezone.utc)


class HumanCheck:
    """The two fields, and the check. A person never sees the honeypot (hidden with a CSS class,
    out of the tab order, hidden from screen readers, no autofill); a robot that reads the HTML
    fills in what looks like a field."""

    website = StringField(_l("Leave this empty"), render_kw={"maxlength": 200})
    shown_at = HiddenField()

    def keep_shown_at(self, now=None):
        """Before a render: keep the stamp of the first showing across re-renders (so fixing an
        error does not start the clock again), a fresh one if it is missing or forged. The
        honeypot is emptied, so a person whose browser filled it in gets a clean second try."""
        if shown_at(self.shown_at.data) is None:
            self.shown_at.data = shown_at_stamp(now)
        self.website.data = ""

    def automated_because(self, min_fill_seconds, now=None):
        """Why this post looks automated ("honeypot", "too fast", "no stamp"), or None. A
        minimum of 0 turns the fill time off."""
        if self.website.data:
            return "honeypot"
        if min_fill_seconds <= 0:
            return None
        started = shown_at(self.shown_at.data)
        if started is None:
            return "no stamp"
        if ((now or utcnow()) - started).total_seconds() < min_fill_seconds:
            return "too fast"
        return None
