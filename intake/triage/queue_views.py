"""The coordinators' queue: filters, search, sorting, paging, bulk actions and exports.

Everything the queue shows lives in the query string (a filtered view is a link to share); the
queries themselves are in queue_query.py. With htmx the filter form swaps only the results."""
import csv
import io
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import parse_qsl

from flask import Response, current_app, flash, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import BuildError
from wtforms import BooleanField, Form, HiddenField, SearchField, SelectField
from wtforms.widgets import Select, html_params

from .. import countries, review, triage_actions
from ..audit import coordinator_actor
from ..auth import may_change, signed_in
from ..extensions import db
from ..forms import options
from ..htmx import redirect_after_post, render
from ..models import Coordinator, Pledge
from ..reference import ACTION_AREAS
from ..regions import REGIONS
from . import bp
from . import queue_query
from .queue_query import UNASSIGNED, QueueContext

MAX_BULK = 500  # pledges in one bulk action (a page shows 50)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- what a row shows -----------------------------------------------------------------------


@dataclass
class QueueRow:
    id: int
    reference: str
    url: str
    city: str
    country: str
    region: str
    areas: list
    title: str
    state: str
    stage: str
    assignee: str
    submitted: str
    days_waiting: int | None
    overdue: bool
    version: int
    gcm: str
    gcr: str


def pledge_url(pledge_id):
    try:
        return url_for("triage.pledge", pledge_id=pledge_id)
    except BuildError:  # the pledge page is not there (yet)
        return f"/triage/pledges/{pledge_id}"


class Labels:
    """The names a row shows, translated once per request (not once per row)."""

    def __init__(self):
        self.states = {key: str(label) for key, label in review.REVIEW_STATES.items()}
        self.stages = {key: str(label) for key, label in review.IMPLEMENTATION_STAGES.items()}
        self.regions = {key: str(label) for key, label in REGIONS.items()}
        self.areas = {area.slug: str(area.title) for area in ACTION_AREAS}
        self.countries = {}

    def country(self, code):
        if code not in self.countries:
            self.countries[code] = countries.country_name(code)
        return self.countries[code]


def queue_row(pledge, context, labels):
    days = queue_query.days_waiting(pledge, context.now)
    return QueueRow(
        id=pledge.id,
        reference=pledge.reference or "",
        url=pledge_url(pledge.id),
        city=pledge.city or "",
        country=labels.country(pledge.country_code),
        region=labels.regions.get(pledge.region, pledge.region or ""),
        areas=[labels.areas.get(row.area, row.area) for row in pledge.action_areas],
        title=pledge.title or "",
        state=labels.states.get(pledge.review_state, pledge.review_state),
        stage=labels.stages.get(pledge.implementation_stage, pledge.implementation_stage or ""),
        assignee=pledge.assignee.display_name if pledge.assignee else "",
        submitted=pledge.submitted_at.date().isoformat() if pledge.submitted_at else "",
        days_waiting=days,
        overdue=days is not None and days > context.target_days,
        version=pledge.version,
        gcm=", ".join(str(number) for number in pledge.gcm_objectives or []),
        gcr=", ".join(str(number) for number in pledge.gcr_objectives or []),
    )


def queue_context():
    return QueueContext(
        me=current_user.id, now=datetime.now(timezone.utc),
        target_days=current_app.config["FIRST_RESPONSE_WORKING_DAYS"])


def page_size():
    return current_app.config["TRIAGE_QUEUE_PAGE_SIZE"]


# --- the filter form (a plain GET form: the URL is the view) ----------------------------------


class CountrySelect(Select):
    """The 250 countries rendered once per language, then reused (the widget is the slowest part
    of the page otherwise); the chosen one is marked selected."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        choices = country_options(str(get_locale() or "en"))
        if field.data:
            chosen = f'<option value="{escape(field.data)}">'
            choices = choices.replace(chosen, chosen.replace("<option ", "<option selected "), 1)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{choices}</select>")


@lru_cache(maxsize=8)
def country_options(language):
    pairs = [("", _("Any")), *countries.country_choices()]
    return "".join(f'<option value="{escape(code)}">{escape(name)}</option>'
                   for code, name in pairs)


class QueueFilterForm(Form):
    q = SearchField(_l("Search"), description=_l("City, title or text of a pledge, or its "
                                                  "reference (CTA-2026-0042)."))
    area = SelectField(_l("Action area"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    country = SelectField(_l("Country"), validate_choice=False, widget=CountrySelect())
    assignee = SelectField(_l("Assigned to"), validate_choice=False)
    mine = BooleanField(_l("Only pledges assigned to me"))
    overdue = BooleanField(_l("Only pledges waiting too long"))
    sort = SelectField(_l("Sort by"), validate_choice=False)
    dir = SelectField(_l("Order"), validate_choice=False)
    state = HiddenField()


def filter_form(filters, coordinators, target_days):
    form = QueueFilterForm(formdata=None, data={
        "q": filters.q, "area": filters.area, "region": filters.region,
        "country": filters.country, "assignee": filters.assignee, "mine": filters.mine,
        "overdue": filters.overdue, "sort": filters.sort, "dir": filters.dir,
        "state": filters.state})
    anyone = [("", _("Any"))]
    form.area.choices = options(anyone + [(area.slug, area.title) for area in ACTION_AREAS])
    form.region.choices = options(anyone + list(REGIONS.items()))
    form.assignee.choices = options(
        anyone + [(UNASSIGNED, _("Nobody (not assigned)"))]
        + [(str(c.id), c.display_name) for c in coordinators])
    form.sort.choices = options((key, label) for key, (_default, label) in
                                queue_query.SORTS.items())
    form.dir.choices = options(queue_query.DIRECTIONS.items())
    form.overdue.label.text = _("Only pledges waiting more than %(days)d working days",
                                days=target_days)
    return form


def all_coordinators():
    return db.session.scalars(select(Coordinator).order_by(Coordinator.name,
                                                           Coordinator.email)).all()


def may_be_assigned(coordinator):
    return coordinator.active and coordinator.role != "partner"


# --- the queue ------------------------------------------------------------------------------


def more_than(number):
    return _("%(num)d+", num=number)


def tab_numbers(filters, page):
    """{state, or "" for All: the number its tab shows, or None}. A search matching many
    pledges counts only the tab shown; "All" says more than the count limit."""
    if page.more_than is None:
        numbers = {state: str(count) for state, count in page.counts.items()}
        numbers[""] = str(sum(page.counts.values()))
        return numbers
    numbers = dict.fromkeys(page.counts)
    numbers[""] = more_than(page.more_than)
    if filters.state:
        numbers[filters.state] = more_than(page.total) if page.capped else str(page.total)
    return numbers


def tabs(filters, page):
    numbers = tab_numbers(filters, page)
    everything = [("", _("All"), numbers[""])]
    return [{"label": label, "count": count,
             "url": url_for("triage.queue", **filters.as_args(state=state, page=1)),
             "current": state == filters.state}
            for state, label, count in everything + [
                (state, review.review_label(state), numbers[state])
                for state in queue_query.QUEUE_STATES]]


def page_links(filters, page):
    def link(number):
        return url_for("triage.queue", **filters.as_args(page=number))

    return {"first": link(1) if page.number > 2 else None,
            "previous": link(page.number - 1) if page.number > 1 else None,
            "next": link(page.number + 1) if page.number < page.last else None,
            "last": link(page.last) if page.number < page.last - 1 else None}


def queue_query_string(filters):
    """The view as a query string, for the bulk form to come back to."""
    return url_for("triage.queue", **filters.as_args()).partition("?")[2]


@bp.get("/")
@signed_in
def queue():
    filters, problems = queue_query.parse_filters(request.args)
    context = queue_context()
    page = queue_query.page_of_pledges(filters, context, page_size(),
                                       current_app.config["TRIAGE_SEARCH_COUNT_LIMIT"])
    filters = replace(filters, page=page.number)  # a page past the end shows the last
    coordinators = all_coordinators()
    labels = Labels()
    return render(
        "triage/queue.html", "triage/_queue_results.html",
        push_url=url_for("triage.queue", **filters.as_args()),
        filters=filters, problems=problems, page=page,
        rows=[queue_row(pledge, context, labels) for pledge in page.pledges],
        tabs=tabs(filters, page), pages=page_links(filters, page),
        form=filter_form(filters, coordinators, context.target_days),
        target_days=context.target_days,
        assignable=[c for c in coordinators if may_be_assigned(c)],
        bulk_states=bulk_states(), can_change=current_user.can_change,
        return_to=queue_query_string(filters),
        sort_links={sort: url_for("triage.queue", **filters.sorted_by(sort))
                    for sort in queue_query.SORTS},
        export_args=filters.as_args(page=1))


# --- bulk actions ---------------------------------------------------------------------------


def bulk_states():
    """Review states a coordinator may move pledges to from somewhere."""
    targets = set().union(*review.COORDINATOR_MOVES.values())
    return [(state, review.review_label(state)) for state in review.REVIEW_STATES
            if state in targets]


def back_to_queue():
    """The queue view the bulk form was posted from (only its query string is kept)."""
    args = dict(parse_qsl(request.form.get("return_to", ""), keep_blank_values=False))
    filters, _problems = queue_query.parse_filters(args)
    return url_for("triage.queue", **filters.as_args())


def chosen_ids():
    ids = {int(raw) for raw in request.form.getlist("pledge_ids") if queue_query.is_number(raw)}
    return sorted(ids)[:MAX_BULK]


def versions_seen():
    """{pledge id: version} of the rows the coordinator saw ("id:version" values)."""
    seen = {}
    for raw in request.form.getlist("seen"):
        pledge_id, _sep, version = raw.partition(":")
        if queue_query.is_number(pledge_id) and queue_query.is_number(version):
            seen[int(pledge_id)] = int(version)
    return seen


def chosen_pledges(ids):
    return db.session.scalars(select(Pledge).where(
        Pledge.id.in_(ids), Pledge.review_state != "draft").order_by(Pledge.id)).all()


def chosen_assignee():
    """(coordinator or None for nobody, problem)."""
    raw = request.form.get("assignee", "")
    if raw == UNASSIGNED:
        return None, None
    coordinator = db.session.get(Coordinator, int(raw)) if queue_query.is_number(raw) else None
    if coordinator is None or not may_be_assigned(coordinator):
        return None, _("Choose who to assign the selected pledges to.")
    return coordinator, None


def assign_all(pledges, assignee, actor):
    changed = []
    for pledge in pledges:
        if pledge.assignee_id != (assignee.id if assignee else None):
            triage_actions.assign(pledge, assignee, actor)
            changed.append(pledge)
    return changed, []


def move_all(pledges, target, actor):
    """Moves what the rules allow; (moved, [(reference, why not)])."""
    moved, refused = [], []
    for pledge in pledges:
        try:
            triage_actions.change_review_state(pledge, target, actor)
        except review.TransitionRefused as refusal:
            refused.append((pledge.reference, str(refusal)))
        else:
            moved.append(pledge)
    return moved, refused


def changed_meanwhile(pledges):
    """Pledges changed by someone else since the coordinator's list was shown: left alone."""
    seen = versions_seen()
    stale = [p for p in pledges if p.id in seen and seen[p.id] != p.version]
    reason = _("someone else changed it since your list was shown; check it and try again.")
    return [p for p in pledges if p not in stale], [(p.reference, reason) for p in stale]


def conflict_message():
    return _("Someone else changed one of these pledges at the same moment. Nothing was saved: "
             "check the list as it is now, then try again.")


def report(changed, refused):
    if changed or not refused:
        flash(ngettext("%(num)d pledge changed.", "%(num)d pledges changed.", changed))
    for reference, reason in refused:
        flash(_("%(reference)s was not changed: %(reason)s", reference=reference,
                reason=reason), "problem")


def apply_bulk(action, pledges):
    """Runs the action on the pledges, in one transaction; returns (changed, refused) or None
    with a problem already flashed."""
    actor = coordinator_actor()
    if action == "assign":
        assignee, problem = chosen_assignee()
        if problem:
            flash(problem, "problem")
            return None
        return assign_all(pledges, assignee, actor)
    target = request.form.get("target", "")
    if target not in dict(bulk_states()):
        flash(_("Choose the review state to move the selected pledges to."), "problem")
        return None
    return move_all(pledges, target, actor)


@bp.post("/bulk")
@may_change
def bulk():
    back = back_to_queue()
    action = request.form.get("action")
    if action not in ("assign", "state"):
        flash(_("Choose what to do with the selected pledges."), "problem")
        return redirect_after_post(back)
    ids = chosen_ids()
    if not ids:
        flash(_("Select at least one pledge first (tick the boxes in the list)."), "problem")
        return redirect_after_post(back)
    pledges, stale = changed_meanwhile(chosen_pledges(ids))
    try:  # one transaction: every change of this request is saved, or none
        done = apply_bulk(action, pledges)
        if done is None:
            db.session.rollback()
            return redirect_after_post(back)
        db.session.commit()
    except StaleDataError:  # raised by a flush, in the loop or at the commit
        db.session.rollback()
        flash(conflict_message(), "problem")
        return redirect_after_post(back)
    changed, refused = done
    report(len(changed), stale + refused)
    return redirect_after_post(back)


# --- exports --------------------------------------------------------------------------------


def export_header():
    return [_("Reference"), _("City"), _("Country"), _("Region"), _("Action areas"), _("Title"),
            _("Review state"), _("Implementation stage"), _("Assigned to"), _("Date sent"),
            _("Days waiting"), _("GCM objectives"), _("GCR objectives")]


def export_cells(row):
    return [row.reference, row.city, row.country, row.region, "; ".join(row.areas), row.title,
            row.state, row.stage, row.assignee, row.submitted,
            "" if row.days_waiting is None else row.days_waiting, row.gcm, row.gcr]


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
    return f"pledges-{datetime.now(timezone.utc):%Y-%m-%d}.{extension}"


def attachment(body, mimetype, extension):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export_name(extension)}"'
    response.headers["Cache-Control"] = "no-store"
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
