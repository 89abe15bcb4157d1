"""Radio and checkbox groups are rendered from their choices at once (web/templating.py
choice_options), not through a WTForms field per option: for every group of every form of the
app, chosen or not, the first in error or not (focus then goes to the error summary, never to an
option), the inputs are exactly those WTForms renders."""
from markupsafe import Markup

from intake.web.templating import choice_options

from .support.forms import fields_of, intake_form_classes


def choice_groups(app):
    with app.test_request_context():
        for form_class in intake_form_classes():
            form = form_class(formdata=None, meta={"csrf": False})
            for field in fields_of(form):
                if hasattr(getattr(field, "option_widget", None), "input_type"):
                    yield form_class.__name__, field


def choose(field, how):
    values = [choice.value for choice in field.iter_choices()]
    if how == "none" or not values:
        field.data = [] if field.type == "CheckboxesField" else None
    elif field.type == "CheckboxesField":
        field.data = values[::2]
    else:
        field.data = values[-1]


def wtforms_own(field):
    return [Markup(option()) for option in field]


def test_every_choice_group_renders_its_options_as_wtforms_does(app):
    groups = 0
    with app.test_request_context():
        for form_name, field in choice_groups(app):
            groups += 1
            for how in ("none", "some"):
                choose(field, how)
                shown = [option.html for option in choice_options(field)]
                assert shown == wtforms_own(field), (form_name, field.name)
                assert [(o.id, o.data, str(o.label)) for o in choice_options(field)] == [
                    (option.id, str(option.data), str(option.label.text))
                    for option in field], (form_name, field.name)
    assert groups >= 10  # radio and checkbox groups of the intake, tracker, triage, matching
