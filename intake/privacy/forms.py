"""Forms of the personal data pages: the contact's address, and the erasure's confirmation."""
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired, Email

from ..extensions import lazy_gettext as _l
from ..web.fields import text

EMAIL_MAX_LENGTH = 254


class ContactForm(FlaskForm):
    email = text(
        _l("The contact's email address"), EMAIL_MAX_LENGTH,
        DataRequired(message=_l("Enter the contact's email address.")),
        Email(message=_l("Enter an email address in the right format, like name@city.gov"),
              check_deliverability=False),
        description=_l("The address the city gave for its focal point, in any case."))


class EraseForm(ContactForm):
    confirm = BooleanField(
        _l("Yes, erase this contact's data. I understand it cannot be undone."),
        validators=[DataRequired(message=_l("Tick the box to confirm the erasure."))])
