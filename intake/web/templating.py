"""Small helpers the form templates share, so every input is labelled and tied to its errors."""


def input_attrs(field, first_error=None, **extra):
    described_by = []
    if field.description:
        described_by.append(f"{field.id}-hint")
    if field.errors:
        described_by.append(f"{field.id}-error")
    attrs = {key.rstrip("_").replace("_", "-") if key != "class_" else "class": value
             for key, value in extra.items() if value is not None}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if first_error and first_error == field.id:
        attrs["autofocus"] = True
    return attrs


def option_attrs(group, option, first_error=None):
    """An option of a radio or checkbox group (its fieldset carries the hint and the error)."""
    return {"autofocus": True} if first_error and first_error == option.id else {}


def action_area_title(slug):
    from .reference import ACTION_AREAS_BY_SLUG

    area = ACTION_AREAS_BY_SLUG.get(slug)
    return area.title if area else slug


def vocabulary_label(code, vocabulary):
    return dict(vocabulary).get(code, code)


def register(app):
    app.add_template_global(input_attrs)
    app.add_template_global(option_attrs)
    app.add_template_filter(action_area_title)
    app.add_template_filter(vocabulary_label)
