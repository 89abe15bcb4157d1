"""Every form of the app and every field of each, for the stories that walk them all."""
import importlib
import pkgutil

import wtforms

import intake


def intake_form_classes():
    for module in pkgutil.walk_packages(intake.__path__, "intake."):
        importlib.import_module(module.name)
    found, pending = set(), [wtforms.Form]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.startswith("intake."):
                found.add(subclass)
    return sorted(found, key=lambda cls: cls.__name__)


def fields_of(form):
    """Every field of a form instance, rows of a FieldList included (one row is added to an
    empty list so that its fields are seen)."""
    for field in form:
        if field.type == "FieldList":
            if not field.entries:
                field.append_entry()
            for entry in field:
                yield from fields_of(entry.form)
        elif field.type == "FormField":
            yield from fields_of(field.form)
        else:
            yield field
