"""Forms of the email problems page: buttons with their security token, and the suppression to
lift."""
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from ..web.fields import plain_text


class ConfirmForm(FlaskForm):
    """A button and its security token (retry one email, retry every failed one)."""


class LiftForm(FlaskForm):
    address = HiddenField(validators=[DataRequired(), plain_text, Length(max=254)])
    scope = HiddenField(validators=[DataRequired(), Length(max=20)])
