"""The questions of a form as a page shows them, made once for each shape of the form, then
filled in with each request's answers. A step of a draft shows the same HTML for every draft but
for what was answered (the text typed, the options chosen), and making that HTML with Jinja and
WTForms is most of what its request costs: so a form's questions are made once per template,
language and shape (which fields there are, which text answers are empty, what else the form
holds), with a hole wherever an answer goes, and each request only puts its answers in.

A shape is kept only once its holes, filled in with the answers it was made from, give the
very bytes a fresh render gives; a form with errors to show is always rendered afresh."""
import contextvars
from typing import NamedTuple

from flask import current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import (
    DateTimeField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.csrf.core import CSRFTokenField

from .i18n import select_locale
from .shared_pages import PLACEHOLDER, filled_with, remember, split_marked

KEPT = "intake_shared_fields"  # the app's extension that keeps them, by shape
MOST_KEPT = 500  # shapes kept per process (the oldest is let go first)
REFUSED = ()  # kept for a shape its template shows in a way that has no holes
# Answers typed as text (and the time stamp of step 1): each is a hole, filled with the text as
# the field's widget writes it.
TEXT_FIELDS = (StringField, DateTimeField, DecimalField, IntegerField)
# Radio and checkbox groups, shown through templating.choice_options: a hole per option for
# whether it is checked.
CHOICE_GROUPS = (RadioField, SelectMultipleField)

_recording = contextvars.ContextVar("shared_fields_recording", default=None)


class Hole(NamedTuple):
    field: str  # the field's name
    kind: str  # "text", "options" (of a long list) or "checked" (an option of a group)
    index: int = 0  # the option, for "checked"


class Recording:
    """The holes marked while a form's questions are made with marks in place of answers."""

    def __init__(self):
        self.holes = []
        self.refused = False

    def mark(self, hole):
        self.holes.append(hole)
        return PLACEHOLDER.format(len(self.holes) - 1)


def hole(field, kind, index=0):
    """While a form's questions are being made to keep, the mark for this part of a field's
    HTML (what a widget writes from the answer); otherwise None, and the widget writes it."""
    recording = _recording.get()
    return None if recording is None else Markup(recording.mark(Hole(field.name, kind, index)))


def refuse():
    """While a form's questions are being made to keep: a widget wrote an answer it has no hole
    for, so these questions are made afresh for every request."""
    recording = _recording.get()
    if recording is not None:
        recording.refused = True


class SharedFields(NamedTuple):
    parts: list  # the HTML, with the index of a hole at every odd position
    holes: tuple


def leaves(form):
    """Every field of the form, those of its lists and subforms included, in order."""
    for field in form:
        yield from leaves_of(field)


def leaves_of(field):
    if isinstance(field, FieldList):
        for entry in field.entries:
            yield from leaves_of(entry)
    elif isinstance(field, FormField):
        yield from leaves(field.form)
    else:
        yield field


def is_text(field):
    return isinstance(field, TEXT_FIELDS) and not isinstance(field, CSRFTokenField)


def is_long_list(field):
    """A select of hundreds of options, given them by fields.long_list."""
    return getattr(field, "long_list_key", None) is not None


def shape_of(field):
    """What of a field the kept HTML depends on: whether a text answer is empty, the list and
    language of a long list, nothing for a group (its holes say what is checked), and for any
    other field its answer itself."""
    if is_text(field):
        return bool(field._value())
    if is_long_list(field):
        return field.long_list_key
    if isinstance(field, CHOICE_GROUPS):
        return None
    return repr(field.data)


def render_form(template, form):
    """The form's questions as `template` shows them (it is given the form alone), made once per
    shape; a form with errors, a fresh render each time."""
    if form.errors:
        return Markup(render_template(template, form=form))
    fields = {field.name: field for field in leaves(form)}
    shape_key = (template, select_locale(),
                 tuple((name, type(field).__name__, shape_of(field))
                       for name, field in fields.items()))
    kept = current_app.extensions.setdefault(KEPT, {})
    shared = kept.get(shape_key)
    if shared:
        return Markup(filled(shared, fields))
    html = render_template(template, form=form)
    if shared is None and "\x00" not in html:  # an answer kept as typed may hold a NUL
        remember(kept, shape_key, made_to_keep(template, form, fields, html), MOST_KEPT)
    return Markup(html)


def made_to_keep(template, form, fields, html):
    """The form's questions with marks in place of its answers. REFUSED when the marked HTML,
    filled in with these answers, is not `html` to the byte (the template shows an answer some
    other way), when it changes with the options chosen (a group or a long list shown some
    other way than through its holes), or when it holds the session's security token: then
    that shape is made afresh for every request, and never tried again."""
    texts = [field for field in fields.values() if is_text(field) and field._value()]
    chosen = [field for field in fields.values()
              if isinstance(field, CHOICE_GROUPS) or is_long_list(field)]
    saved = [(field, field.raw_data, field.data) for field in [*texts, *chosen]]
    try:
        recording, marked = marked_render(template, form, texts)
        for field in chosen:
            field.data = [] if isinstance(field, SelectMultipleField) else None
        unchosen = marked_render(template, form, texts)[1]
    except Exception:  # it read an answer as what it is (a date's year): it has no hole for it
        current_app.logger.debug("%s cannot be kept with holes", template, exc_info=True)
        return REFUSED
    finally:
        for field, raw_data, data in saved:
            field.raw_data, field.data = raw_data, data
    shared = SharedFields(split_marked(marked), tuple(recording.holes))
    if (recording.refused or unchosen != marked or generate_csrf() in marked
            or filled(shared, fields) != html):
        return REFUSED
    return shared


def marked_render(template, form, texts):
    """(the holes, the HTML) of the form's questions with a mark for each answer."""
    recording = Recording()
    token = _recording.set(recording)
    try:
        for field in texts:
            field.data = recording.mark(Hole(field.name, "text"))
            field.raw_data = [field.data]
        return recording, render_template(template, form=form)
    finally:
        _recording.reset(token)


def filled(shared, fields):
    """The kept HTML with each hole filled in from these fields."""
    choices = {}
    return filled_with(shared.parts, [part_of(hole, fields, choices) for hole in shared.holes])


def part_of(hole, fields, choices):
    field = fields[hole.field]
    if hole.kind == "text":
        return str(escape(field._value()))
    if hole.kind == "options":
        return field.widget.options_of(field)
    if field.name not in choices:
        choices[field.name] = [choice.selected for choice in field.iter_choices()]
    return " checked" if choices[field.name][hole.index] else ""


def filled_in(key, render, values):
    """What render(values) makes, made once per key with marks in place of the values, then
    filled in with each request's: `render` must show each value (a text, escaped as a
    template escapes it) where it goes and depend on nothing else but the key. Kept only when
    the marked text, filled in with these values, is render(values) to the byte."""
    kept = current_app.extensions.setdefault(KEPT, {})
    shared = kept.get(key)
    escaped = [str(escape(value)) for value in values]
    if shared:
        return Markup(filled_with(shared.parts, escaped))
    html = str(render(values))
    if shared is None and "\x00" not in html:
        marks = [PLACEHOLDER.format(index) for index in range(len(values))]
        parts = split_marked(str(render(marks)))
        remember(kept, key, SharedFields(parts, ()) if filled_with(parts, escaped) == html
                 else REFUSED, MOST_KEPT)
    return Markup(html)


def forget(app):
    """Every form's questions kept for the app (made under settings that have changed since)."""
    app.extensions.pop(KEPT, None)
