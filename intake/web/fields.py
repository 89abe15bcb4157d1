"""Form fields every blueprint shares: limits and clear messages on text, option lists, long
selects. Nothing here knows what a pledge is."""
import re

from markupsafe import Markup, escape
from wtforms import (
    DecimalField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, Select, core

from ..extensions import lazy_gettext as _l
from . import shared_fields

# Control characters other than tab and newlines cannot be stored in PostgreSQL text (NUL) and
# have no place in an answer; refuse them with a message rather than fail on save. C1 controls
# (U+0080 to U+009F) included: NEL (U+0085) is a line break to Python's email library.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What ends a line anywhere downstream: str.splitlines() splits on each of these, and the email
# library refuses a header value it would split. A one-line answer (a city, a name, a title)
# goes into subjects, file names and CSV cells, so it may hold none of them, nor a tab.
LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
CONTROL_MESSAGE = _l("Remove the invisible control characters from this answer.")
LINE_BREAK_MESSAGE = _l("Use a single line, without line breaks.")


WTFORMS_HTML_PARAMS = core.html_params  # WTForms' own, kept for the tests to compare with


def html_params(**attributes):
    """An element's attributes, to the byte as WTForms writes them (sorted by name, `class_`
    for class, `data_`/`aria_` with hyphens, True alone, False left out, values escaped with
    their quotes), at a fraction of the cost: WTForms formats each one through Markup.format,
    which is a fifth of the time of a page of text inputs."""
    written = []
    for name, value in sorted(attributes.items()):
        if value is False:
            continue
        name = escape(core.clean_key(name))
        if value is True:
            written.append(name)
        else:
            written.append(f'{name}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(written))


def use_fast_html_params():
    """Every WTForms widget writes its attributes with html_params above (once per process)."""
    core.html_params = html_params
    for widget in (core.Input, core.Button):
        widget.html_params = staticmethod(html_params)


def plain_text(form, field):
    """A multi-line answer: newlines and tabs are kept, other control characters refused."""
    if field.data and FORBIDDEN_CHARACTERS.search(field.data):
        raise StopValidation(CONTROL_MESSAGE)


def typed(field):
    """What was sent for a field, before any filter (strip would hide a trailing line break)
    or any parsing (a number or a date): the raw text, or the data when none was sent."""
    raw = field.raw_data[0] if field.raw_data else None
    return raw if isinstance(raw, str) else field.data


def single_line_problem(value):
    """Why a text cannot be a one-line answer (a line break, or any control character, a tab
    included), or None. Shared by the forms and the command line."""
    if not isinstance(value, str) or not value:
        return None
    if LINE_BREAKS.search(value):
        return LINE_BREAK_MESSAGE
    if "\t" in value or FORBIDDEN_CHARACTERS.search(value):
        return CONTROL_MESSAGE
    return None


def single_line(form, field):
    """A one-line answer, checked on what was typed, so that no filter or parser lets a line
    break or a control character through unseen."""
    problem = single_line_problem(typed(field))
    if problem is not None:
        field.errors[:] = []  # "not a valid date" would only hide the cause
        raise StopValidation(problem)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def options(pairs):
    """WTForms takes choices as SelectChoice objects; our vocabularies are (code, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def required(message):
    return DataRequired(message=message)


def length_limit(max_length):
    return Length(max=max_length, message=_l("Use %(max)d characters or fewer.", max=max_length))


def text(label, max_length, *validators, description=None, multi_line=False, **render_kw):
    """A text answer. One line unless multi_line: then a text area that keeps newlines."""
    field = TextAreaField if multi_line else StringField
    return field(
        label,
        validators=[plain_text if multi_line else single_line, *validators,
                    length_limit(max_length)],
        filters=[strip],
        description=description,
        render_kw={"maxlength": max_length, **render_kw},
    )


def long_text(label, max_length, *validators, description=None, rows=None):
    extra = {"rows": rows} if rows else {}
    return text(label, max_length, *validators, description=description, multi_line=True,
                **extra)


def choice(label, choices, message, field=SelectField, **kwargs):
    return field(
        label,
        choices=options(choices),
        validators=[InputRequired(message=message)],
        validate_choice=True,
        **kwargs,
    )


def email_address(label, description, max_length=254):
    return text(
        label, max_length,
        required(_l("Enter your email address.")),
        Email(message=_l("Enter an email address in the right format, like name@city.gov"),
              check_deliverability=False),
        description=description,
    )


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices}
        if any(str(value) not in known for value in self.data or []):
            raise StopValidation(_l("Choose only from the options listed."))


class LongListSelect(Select):
    """A select of hundreds of options (countries, currencies). The options are rendered once per
    list and language (the key given to long_list), then only the chosen one is marked: it
    halves the time of a page that shows one."""

    rendered_options = {}

    def __call__(self, field, **kwargs):
        key = getattr(field, "long_list_key", None)
        if key is None:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        if field.flags.required:
            kwargs.setdefault("required", True)
        options = shared_fields.hole(field, "options")
        if options is None:
            options = self.options_of(field)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")

    def options_of(self, field):
        """The options of a long list, the chosen one marked."""
        key = field.long_list_key
        options = self.rendered_options.get(key)
        if options is None:
            options = self.rendered_options[key] = "".join(
                f'<option value="{escape(c.value)}">{escape(c.label)}</option>'
                for c in field.choices)
        if field.data:
            value = escape(field.data)
            options = options.replace(f'<option value="{value}">',
                                      f'<option selected value="{value}">', 1)
        return options


def long_list(field, key, choices):
    """Give a LongListSelect field its choices, and the key its rendering is kept under: the
    same key must always mean the same choices (a list and a language)."""
    field.choices = choices
    field.long_list_key = key


def long_select(label, *validators):
    """A select whose hundreds of choices are given per request with long_list."""
    return SelectField(label, validators=list(validators), validate_choice=False,
                       widget=LongListSelect())


# Spaces (ordinary, no-break, narrow no-break) or apostrophes between thousands, as French and
# Swiss writers put them, and a decimal comma, as French and Spanish ones write it.
THOUSANDS_SEPARATORS = re.compile(r"[ \u00a0\u202f']")
DECIMAL_COMMA = re.compile(r"(\d+),(\d{1,2})")


class AmountField(DecimalField):
    """An amount written as the reader's language writes it: "250 000", "1250,50" or
    "1250.50". A comma before three digits ("250,000") is refused, not guessed at: it is a
    thousands separator in English and a decimal one in French."""

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            written = THOUSANDS_SEPARATORS.sub("", valuelist[0].strip())
            valuelist = [DECIMAL_COMMA.sub(r"\1.\2", written) if DECIMAL_COMMA.fullmatch(written)
                         else written]
        super().process_formdata(valuelist)
