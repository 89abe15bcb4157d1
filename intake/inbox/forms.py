"""Forms of the tray's actions (each posted with its CSRF token)."""
from flask_wtf import FlaskForm

from ..extensions import lazy_gettext as _l
from ..web.fields import choice, required, text
from ..web.i18n import LANGUAGE_NAMES


class LinkForm(FlaskForm):
    reference = text(_l("Pledge reference"), 20,
                     required(_l("Enter the reference of a pledge.")),
                     description=_l("For example CTA-2026-0042."))


class DraftForm(FlaskForm):
    city = text(_l("City"), 120, required(_l("Enter the name of the city.")))
    language = choice(_l("Language of the invitation"), LANGUAGE_NAMES.items(),
                      _l("Choose the language of the invitation."),
                      description=_l("The email and the draft are in this language."))


class ActionForm(FlaskForm):
    """An action without fields (spam, not spam, add as a contact): only the CSRF token."""
