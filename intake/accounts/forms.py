"""Forms of the coordinator accounts: sign in, and the admins' account management.

The rules on a new address and a new password live here once, for the forms and the command
line alike (check_new_email, check_new_password)."""
from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Optional, StopValidation

from ..extensions import lazy_gettext as _l
from ..web.fields import (
    length_limit,
    options,
    single_line,
    single_line_problem,
    strip,
    text,
)
from ..web.i18n import LANGUAGE_NAMES
from .coordinators import MIN_PASSWORD_LENGTH, ROLE_NAMES, ROLES, coordinator_by_email

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 120
# scrypt reads the whole password: a bound keeps a sign-in attempt cheap.
PASSWORD_MAX_LENGTH = 256
SIGN_IN_PASSWORD_MAX_LENGTH = 1024


class AccountRuleError(ValueError):
    """A new address or password that breaks a rule; the message is for the person."""


def check_new_email(value):
    """The address, lowercased, if it is well formed and no account has it yet."""
    email = (value or "").strip().lower()
    if not email:
        raise AccountRuleError(_l("Enter the email address."))
    if len(email) > EMAIL_MAX_LENGTH:
        raise AccountRuleError(_l("Use %(max)d characters or fewer.", max=EMAIL_MAX_LENGTH))
    if single_line_problem(email):
        raise AccountRuleError(_l("Enter an email address in the right format, "
                                  "like name@organisation.org"))
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountRuleError(_l("Enter an email address in the right format, "
                                  "like name@organisation.org")) from error
    if coordinator_by_email(email) is not None:
        raise AccountRuleError(_l("An account with this email address already exists."))
    return email


def check_new_password(password):
    password = password or ""
    if not password:
        raise AccountRuleError(_l("Enter the password."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRuleError(_l("Use at least %(min)d characters for the password.",
                                  min=MIN_PASSWORD_LENGTH))
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AccountRuleError(_l("Use %(max)d characters or fewer.", max=PASSWORD_MAX_LENGTH))
    if not password.strip():
        raise AccountRuleError(_l("The password cannot be only spaces."))
    problem = single_line_problem(password)
    if problem is not None:
        raise AccountRuleError(problem)
    return password


def new_email(form, field):
    try:
        field.data = check_new_email(field.data)
    except AccountRuleError as error:
        raise StopValidation(str(error)) from error


def new_password(form, field):
    try:
        check_new_password(field.data)
    except AccountRuleError as error:
        raise StopValidation(str(error)) from error


def role_choices():
    return options([(name, ROLES[name]) for name in ROLE_NAMES])


def email_language_field():
    return SelectField(
        _l("Language of your emails"), choices=options(LANGUAGE_NAMES.items()), default="en",
        validate_choice=True, validators=[InputRequired(message=_l("Choose a language."))],
        description=_l("The emails written to you alone, such as those about the pledges "
                       "assigned to you, come in this language. Emails to the shared "
                       "coordinators' address stay in English."))


def password_field(label, description=None):
    return PasswordField(label, validators=[single_line, new_password], description=description,
                         render_kw={"maxlength": PASSWORD_MAX_LENGTH})


def confirmation_field():
    return PasswordField(
        _l("Type the password again"),
        validators=[single_line, DataRequired(message=_l("Type the password again.")),
                    EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"maxlength": PASSWORD_MAX_LENGTH})


class SignInForm(FlaskForm):
    email = StringField(
        _l("Email address"), filters=[strip],
        validators=[DataRequired(message=_l("Enter your email address.")), single_line,
                    length_limit(EMAIL_MAX_LENGTH)],
        render_kw={"maxlength": EMAIL_MAX_LENGTH})
    # Its own rule: compared with a hash, never stored, shown or sent, so any text is only a
    # right or a wrong password (new passwords are single lines: check_new_password).
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")),
                    length_limit(SIGN_IN_PASSWORD_MAX_LENGTH)])
    next = HiddenField()  # a local path or nothing: views.safe_next


class NewAccountForm(FlaskForm):
    email = StringField(_l("Email address"), filters=[strip], validators=[single_line, new_email],
                        description=_l("The person signs in with it."),
                        render_kw={"maxlength": EMAIL_MAX_LENGTH})
    name = text(_l("Name (optional)"), NAME_MAX_LENGTH)
    role = SelectField(_l("Role"), choices=role_choices(), default="coordinator",
                       validate_choice=True,
                       validators=[InputRequired(message=_l("Choose the role."))])
    password = password_field(
        _l("Initial password"),
        description=_l("At least %(min)d characters. Give it to the person through a "
                       "separate, safe channel.", min=MIN_PASSWORD_LENGTH))
    confirm = confirmation_field()
    language = SelectField(
        _l("Language of the person's emails"), choices=options(LANGUAGE_NAMES.items()),
        default="en", validate_choice=True, validators=[Optional()],
        description=_l("They can change it on their own account page."))


class EmailLanguageForm(FlaskForm):
    language = email_language_field()


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices(), validate_choice=True,
                       validators=[InputRequired(message=_l("Choose the role."))])


class PasswordResetForm(FlaskForm):
    password = password_field(
        _l("New password"),
        description=_l("At least %(min)d characters. Every session of the account ends.",
                       min=MIN_PASSWORD_LENGTH))
    confirm = confirmation_field()


class ConfirmForm(FlaskForm):
    """A button and its security token (deactivate, reactivate, unlock)."""
