"""The coordinators' queue: filters, search, sorting, paging and bulk actions.

Everything the queue shows lives in the query string (a filtered view is a link to share); the
queries themselves are in queue_query.py. With htmx the filter form swaps only the results."""
from dataclasses import replace
from urllib.parse import parse_qsl

from flask import current_app, flash, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..accounts.access import may_change, signed_in
from ..extensions import db
from ..models import Coordinator, Pledge
from ..pledges import actions, status, update_states
from ..pledges.audit import coordinator_actor
from ..web.htmx import redirect_after_post, render
from . import bp, queue_query
from .forms import filter_form
from .queue_query import UNASSIGNED
from .queue_rows import Labels, queue_context, queue_row

MAX_BULK = 500  # pledges in one bulk action (a page shows 50)


def page_size():
    return current_app.config["TRIAGE_QUEUE_PAGE_SIZE"]


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
        numbers = {state: format_decimal(count) for state, count in page.counts.items()}
        numbers[""] = format_decimal(sum(page.counts.values()))
        return numbers
    numbers = dict.fromkeys(page.counts)
    numbers[""] = more_than(page.more_than)
    if filters.state:
        numbers[filters.state] = (more_than(page.total) if page.capped
                                  else format_decimal(page.total))
    return numbers


def tabs(filters, page):
    """"To do" (the default view), "All", then a tab per review state."""
    numbers = tab_numbers(filters, page)
    todo = None if page.todo is None else format_decimal(page.todo)
    if page.todo is not None and filters.todo and page.capped:
        todo = more_than(page.total)
    everything = [(queue_query.TODO, _("To do"), todo), (queue_query.ALL, _("All"), numbers[""])]
    return [{"label": label, "count": count, "id": f"tab-{tab}",
             "url": url_for("triage.queue", **filters.as_args(
                 state="" if tab in (queue_query.TODO, queue_query.ALL) else tab,
                 todo=tab == queue_query.TODO, page=1)),
             "current": tab == filters.tab}
            for tab, label, count in everything + [
                (state, status.review_label(state), numbers[state])
                for state in queue_query.QUEUE_STATES]]


def update_numbers(page):
    """{update filter: the number its tab shows, or None}: a search matching many pledges does
    not count them; past its count limit, a search with an update filter says "at least"."""
    if page.updates_capped:
        limit = current_app.config["TRIAGE_SEARCH_COUNT_LIMIT"]
        return {key: more_than(min(count, limit)) for key, count in page.updates.items()}
    return {key: None if count is None else format_decimal(count)
            for key, count in page.updates.items()}


def update_tabs(filters, page):
    """"Any", then a tab per update filter with its count, each keeping the other filters."""
    numbers = update_numbers(page)
    return [{"label": label, "count": numbers.get(key),
             # Accepted pledges are never to do: an update tab leads from "To do" to "All".
             "url": url_for("triage.queue", **filters.as_args(
                 update=key, page=1, todo=filters.todo and not key)),
             "current": key == filters.update}
            for key, label in [("", _("Any")), *update_states.FILTERS.items()]]


def page_links(filters, page, endpoint="triage.queue"):
    """First, previous, next and last page of a paged view (the register's too)."""
    def link(number):
        return url_for(endpoint, **filters.as_args(page=number))

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
        tabs=tabs(filters, page), update_tabs=update_tabs(filters, page),
        pages=page_links(filters, page),
        form=filter_form(filters, coordinators, context.target_days),
        target_days=context.target_days, update_rules=context.update_rules,
        assignable=[c for c in coordinators if may_be_assigned(c)],
        bulk_states=bulk_states(), can_change=current_user.can_change,
        return_to=queue_query_string(filters),
        sort_links={sort: url_for("triage.queue", **filters.sorted_by(sort))
                    for sort in queue_query.SORTS},
        export_args=filters.as_args(page=1))


# --- bulk actions ---------------------------------------------------------------------------


def bulk_states():
    """Review states a coordinator may move pledges to from somewhere."""
    targets = set().union(*status.COORDINATOR_MOVES.values())
    return [(state, status.review_label(state)) for state in status.REVIEW_STATES
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
    actor = coordinator_actor(current_user)
    if action == "assign":
        assignee, problem = chosen_assignee()
        if problem:
            flash(problem, "problem")
            return None
        return actions.assign_many(pledges, assignee, actor), []
    target = request.form.get("target", "")
    if target not in dict(bulk_states()):
        flash(_("Choose the review state to move the selected pledges to."), "problem")
        return None
    return actions.move_many(pledges, target, actor)


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


