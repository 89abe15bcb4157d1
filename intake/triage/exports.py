"""The queue's downloads for the review forums (IMRF, GRF, GFMD): every pledge under the view's
filters, as CSV or XLSX, streamed in batches."""
import csv
import io

from flask import Response, request, stream_with_context
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..accounts.access import signed_in
from ..clock import utcnow
from . import bp, queue_query
from .queue_rows import Labels, queue_context, queue_row

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_header():
    return [_("Reference"), _("City"), _("Country"), _("Region"), _("Action areas"), _("Title"),
            _("Review state"), _("Implementation stage"), _("Assigned to"), _("Date sent"),
            _("Days waiting"), _("GCM objectives"), _("GCR objectives"), _("Last report"),
            _("Update state")]


def iso_day(day):
    """A day as the downloads write it, in every language: 2026-12-02."""
    return day.isoformat() if day else ""


def export_cells(row):
    return [row.reference, row.city, row.country, row.region, "; ".join(row.areas), row.title,
            row.state, row.stage, row.assignee, iso_day(row.submitted),
            "" if row.days_waiting is None else row.days_waiting, row.gcm, row.gcr,
            iso_day(row.last_report_date),
            "; ".join(label for _key, label in row.update_badges)]


def neutralised(value):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def exported_rows(clean=lambda value: value):
    """The cells of every pledge under the view's filters, each cleaned, then neutralised."""
    filters, _problems = queue_query.parse_filters(request.args)
    context, labels = queue_context(), Labels()
    for pledge in queue_query.every_pledge(filters, context):
        yield [neutralised(clean(cell))
               for cell in export_cells(queue_row(pledge, context, labels))]


def export_name(extension):
    return f"pledges-{utcnow():%Y-%m-%d}.{extension}"


def attachment(body, mimetype, extension):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export_name(extension)}"'
    return response


def csv_lines():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # the BOM: Excel then reads the file as UTF-8
    writer.writerow(export_header())
    for number, cells in enumerate(exported_rows(), start=1):
        writer.writerow(cells)
        if number % queue_query.EXPORT_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@bp.get("/export.csv")
@signed_in
def export_csv():
    return attachment(stream_with_context(csv_lines()), "text/csv", "csv")


def without_control_characters(value):
    """XLSX cannot hold most control characters (openpyxl refuses them)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


@bp.get("/export.xlsx")
@signed_in
def export_xlsx():
    workbook = Workbook(write_only=True)  # rows streamed to a temporary file, not kept
    sheet = workbook.create_sheet(_("Pledges"))
    sheet.append([str(title) for title in export_header()])
    for cells in exported_rows(clean=without_control_characters):
        sheet.append(cells)
    body = io.BytesIO()
    workbook.save(body)
    return attachment(body.getvalue(),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      "xlsx")
