"""Forms of the tray's actions (each posted with its CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class LinkForm(FlaskForm):
    reference = StringField(_l("Pledge reference"), description=_l("For example CTA-2026-0042."),
                            validators=[DataRequired(_l("Enter the reference of a pledge.")),
                                        Length(max=20)])


class DraftForm(FlaskForm):
    city = StringField(_l("City"), validators=[
        DataRequired(_l("Enter the name of the city.")), Length(max=120)])


class ActionForm(FlaskForm):
    """An action without fields (spam, not spam, add as a contact): only the CSRF token."""
