"""Forms of the archive imports: the upload, and a CSV's column mapping (one select a column)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from ..extensions import lazy_gettext as _l
from ..inbound.archive_csv import FIELDS, fields_chosen_twice
from ..web.fields import options


class UploadForm(FlaskForm):
    archive = FileField(
        _l("File to import"),
        description=_l("An mbox file (a mail export), a zip of .eml files, or the "
                       "spreadsheet saved as CSV."),
        validators=[FileRequired(_l("Choose a file to import."))])


class ConfirmForm(FlaskForm):
    """A button and its security token (start an import again)."""


def mapping_form(header, guessed):
    """One select a column, named after the column's header, preset to the guessed field."""
    choices = options([("", _l("Do not import")), *FIELDS.items()])

    class MappingForm(FlaskForm):
        def columns(self):
            return {str(index): getattr(self, f"column_{index}") for index in range(len(header))}

        def mapping(self):
            """{column index: field} as chosen."""
            return {index: select.data for index, select in self.columns().items()}

        def validate(self, extra_validators=None):
            valid = super().validate(extra_validators)
            for field, columns in fields_chosen_twice(self.mapping()).items():
                for index in columns:
                    self.columns()[index].errors.append(_l(
                        "“%(field)s” is chosen for more than one column: choose it for one "
                        "column only, and “Do not import” for the others.",
                        field=FIELDS[field]))
                valid = False
            return valid

    for index, name in enumerate(header):
        setattr(MappingForm, f"column_{index}", SelectField(
            _l("Column “%(name)s”", name=name or str(index + 1)), choices=choices,
            default=guessed.get(str(index), "")))
    return MappingForm()
