"""Forms of the city's status page: an answer to a coordinator's questions, withdrawal, and
stopping the other private links."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired, Optional

from ..web.fields import long_text


class AnswerForm(FlaskForm):
    answer = long_text(_l("Your answer"), 8000, DataRequired(message=_l("Write your answer.")),
                       rows=6)


class WithdrawForm(FlaskForm):
    confirm = BooleanField(_l("Yes, withdraw this pledge"),
                           validators=[DataRequired(message=_l(
                               "Tick the box to confirm that you want to withdraw."))])
    reason = long_text(_l("Why are you withdrawing it? (optional)"), 2000, Optional(), rows=3)


class StopOtherLinksForm(FlaskForm):
    """A button and its security token."""
