"""The public register (no sign-in): the list of published pledges with its filters, a page per
pledge at a stable address, the Atom feed, the open-data downloads and their data dictionary.

Everything the list shows lives in the query string; with htmx the filter form swaps only the
results. Every answer is sent with `Cache-Control: no-cache` (a cache must ask again each time),
and the feed with an ETag of its own bytes: a pledge whose city stops its publication, or that
is withdrawn, is gone from the next answer of every one of them."""
from dataclasses import replace

from flask import Response, current_app, render_template, request, stream_with_context, url_for

from ..catalogue.vocabularies import SUPPORT_TYPES
from ..clock import utcnow
from ..matching.queries import partners_found
from ..pledges import progress
from ..triage.queue_rows import Labels
from ..triage.queue_views import page_links
from ..web.htmx import render
from . import bp, queries
from .feed import atom_feed
from .forms import filter_form
from .open_data import COLUMNS, REPORT_FIELDS, csv_lines, json_chunks, licence


def page_size():
    return current_app.config["REGISTER_PAGE_SIZE"]


@bp.after_request
def revalidated(response):
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.context_processor
def register_globals():
    return {"licence": licence()}


@bp.get("")
def index():
    filters = queries.parse_filters(request.args)
    page = queries.page_of_pledges(filters, page_size(),
                                   current_app.config["REGISTER_COUNT_LIMIT"])
    filters = replace(filters, page=page.number)  # a page past the end shows the last
    return render("register/index.html", "register/_results.html",
                  push_url=url_for("register.index", **filters.as_args()),
                  filters=filters, page=page, pages=page_links(filters, page, "register.index"),
                  form=filter_form(filters), labels=ListLabels())


class ListLabels(Labels):
    """The names the list's rows show, translated once per request (not once per row)."""

    def __init__(self):
        super().__init__()
        self.support = {code: str(label) for code, label in SUPPORT_TYPES}


def not_found():
    """The same page for a reference nobody has and for a pledge that is not published."""
    return render_template("register/not_found.html"), 404


@bp.get("/<reference>")
def pledge(reference):
    found = queries.published_pledge(reference)
    if found is None:
        return not_found()
    return render_template("register/pledge.html", pledge=found,
                           reports=progress.sent_reports(found.id),
                           partners_found=partners_found([found.id])[found.id])


@bp.get("/feed.atom")
def feed():
    response = Response(atom_feed(), mimetype="application/atom+xml")
    response.add_etag()  # of the bytes themselves: any change makes another
    return response.make_conditional(request)


def download_name(extension):
    return f"register-pledges-{utcnow():%Y-%m-%d}.{extension}"


@bp.get("/pledges.csv")
def pledges_csv():
    response = Response(stream_with_context(csv_lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name("csv")}"'
    return response


@bp.get("/pledges.json")
def pledges_json():
    response = Response(stream_with_context(json_chunks()), mimetype="application/json")
    response.headers["Content-Disposition"] = f'inline; filename="{download_name("json")}"'
    return response


@bp.get("/data")
def data():
    return render_template("register/data.html", columns=COLUMNS, report_fields=REPORT_FIELDS)
