"""The public register as queries, with no HTTP: the filters read from a query string, one page
of published pledges, one pledge by its reference, its sent progress reports, the newest
entries for the feed and every published pledge in batches for the downloads.

What is published is decided by pledges/publication.py alone; every query here starts from
its conditions. A page costs the same few queries whatever its size: the count, the page's
pledges, their action areas (one query for the page)."""
from dataclasses import dataclass, fields, replace

from sqlalchemy import exists, func, select
from sqlalchemy.orm import load_only, selectinload

from ..catalogue.compacts import ACTION_AREAS_BY_SLUG, GCM_OBJECTIVES, GCR_OBJECTIVES
from ..catalogue.countries import COUNTRY_CODES
from ..catalogue.regions import REGIONS
from ..catalogue.vocabularies import SUPPORT_TYPES
from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..models import Pledge, PledgeActionArea, ProgressReport
from ..pledges.progress import sent_reports_of
from ..pledges.publication import published_conditions
from ..pledges.status import IMPLEMENTATION_STAGES
from ..triage.queue_query import QueuePage, dialect_name, is_number, search_condition, search_text

BATCH = 500  # published pledges read at a time for a download
SORTS = {
    "newest": _l("Newest first"),
    "city": _l("City, A to Z"),
    "reported": _l("Most recently reported"),
}
DEFAULT_SORT = "newest"
OBJECTIVES = {**{f"gcm-{number}": ("gcm", number) for number in GCM_OBJECTIVES},
              **{f"gcr-{number}": ("gcr", number) for number in GCR_OBJECTIVES}}
SUPPORT_CODES = {code for code, _label in SUPPORT_TYPES}
# What a row of the register's list shows (the rest of a pledge is not read for it).
LISTED_COLUMNS = (Pledge.reference, Pledge.city, Pledge.country_code, Pledge.region,
                  Pledge.title, Pledge.summary, Pledge.implementation_stage, Pledge.language,
                  Pledge.support_sought, Pledge.accepted_at, Pledge.last_report_at)


@dataclass(frozen=True)
class RegisterFilters:
    """What the visitor asked for; every value already checked (see parse_filters)."""

    q: str = ""
    area: str = ""
    region: str = ""
    country: str = ""
    stage: str = ""
    support: str = ""
    objective: str = ""  # "gcm-15" or "gcr-2"
    sort: str = DEFAULT_SORT
    page: int = 1

    def as_args(self, **changes):
        """The query string of this view (defaults left out), with some values changed."""
        changed = replace(self, **changes)
        return {item.name: getattr(changed, item.name) for item in fields(changed)
                if getattr(changed, item.name) not in (item.default, "")}

    @property
    def narrowed(self):
        return any(getattr(self, name) for name in ("q", "area", "region", "country", "stage",
                                                    "support", "objective"))


def parse_filters(args):
    """RegisterFilters from a query string: a value that is not one the register knows is
    left out (the form then shows "Any" for it)."""

    def pick(name, allowed, value=None):
        value = (args.get(name) or "").strip() if value is None else value
        return value if value in allowed else ""

    page = (args.get("page") or "").strip()
    return RegisterFilters(
        q=search_text(args.get("q")),
        area=pick("area", ACTION_AREAS_BY_SLUG),
        region=pick("region", REGIONS),
        country=pick("country", COUNTRY_CODES, (args.get("country") or "").strip().upper()),
        stage=pick("stage", IMPLEMENTATION_STAGES),
        support=pick("support", SUPPORT_CODES),
        objective=pick("objective", OBJECTIVES),
        sort=pick("sort", SORTS) or DEFAULT_SORT,
        page=int(page) if is_number(page) and int(page) > 0 else 1,
    )


# --- conditions -----------------------------------------------------------------------------


def list_holds(column, value):
    """A JSON list column holds this value (support sought, Compact objectives)."""
    if dialect_name() == "postgresql":
        element = func.json_array_elements_text(column).table_valued("value")
        return exists(select(1).select_from(element).where(element.c.value == str(value)))
    element = func.json_each(column).table_valued("value")
    return exists(select(1).select_from(element).where(element.c.value == value))


def conditions(filters):
    found = published_conditions()
    if filters.area:
        found.append(Pledge.id.in_(select(PledgeActionArea.pledge_id)
                                   .where(PledgeActionArea.area == filters.area)))
    for name, column in (("region", Pledge.region), ("country", Pledge.country_code),
                         ("stage", Pledge.implementation_stage)):
        if getattr(filters, name):
            found.append(column == getattr(filters, name))
    if filters.support:
        found.append(list_holds(Pledge.support_sought, filters.support))
    if filters.objective:
        compact, number = OBJECTIVES[filters.objective]
        column = Pledge.gcm_objectives if compact == "gcm" else Pledge.gcr_objectives
        found.append(list_holds(column, number))
    searched = search_condition(filters.q, dialect_name()) if filters.q else None
    if searched is not None:
        found.append(searched)
    return found


def ordering(sort):
    if sort == "city":
        return [func.lower(Pledge.city).asc(), Pledge.id.asc()]
    if sort == "reported":  # never reported last (the index of migration 0012 in that order)
        return [Pledge.last_report_at.desc().nulls_last(), Pledge.id.desc()]
    return [Pledge.accepted_at.desc(), Pledge.id.desc()]


def reversed_ordering(sort):
    """ordering(sort) backwards, to the last tie: the same index read from its other end."""
    if sort == "city":
        return [func.lower(Pledge.city).desc(), Pledge.id.desc()]
    if sort == "reported":
        return [Pledge.last_report_at.asc().nulls_first(), Pledge.id.asc()]
    return [Pledge.accepted_at.asc(), Pledge.id.asc()]


# --- reading --------------------------------------------------------------------------------


def page_ids(found, sort, offset, limit, total, capped):
    """The ids of one page, read from an index alone. A page in the back half of an exactly
    counted view is read from the index's other end, so that the last page skips as few
    entries as the first (the page's rows are put in order when they are read)."""
    query = select(Pledge.id).where(*found)
    if not capped and offset > total // 2:
        query = query.order_by(*reversed_ordering(sort)).offset(total - offset - limit)
    else:
        query = query.order_by(*ordering(sort)).offset(offset)
    return query.limit(limit).subquery("page_ids")


def counted(found, limit):
    """(how many pledges match, capped): counted up to `limit` + 1 matches when a limit is
    given (counting every match of a common filter is what would make a page slow)."""
    matching = select(Pledge.id).where(*found)
    if limit is None:
        return db.session.scalar(select(func.count()).select_from(matching.subquery())), False
    total = db.session.scalar(select(func.count()).select_from(
        matching.limit(limit + 1).subquery()))
    return min(total, limit), total > limit


def page_of_pledges(filters, size, count_limit=None):
    """The count and the page asked for (the last one if it asked for more), with the
    pledges' action areas loaded in one query for the page. A filtered view is counted up to
    count_limit matches (page.capped past it: only that many are listed); the whole register
    is counted from its index."""
    found = conditions(filters)
    total, capped = counted(found, count_limit if filters.narrowed else None)
    page = QueuePage([], 1, size, total, capped=capped)
    page.number = min(filters.page, page.last)
    if total:
        # The page's ids first, from an index alone (a deep page skips index entries, not
        # rows), then only those pledges are read.
        ids = page_ids(found, filters.sort, (page.number - 1) * size,
                       min(size, total - (page.number - 1) * size), total, capped)
        page.pledges = db.session.scalars(
            select(Pledge).join(ids, Pledge.id == ids.c.id).order_by(*ordering(filters.sort))
            .options(load_only(*LISTED_COLUMNS), selectinload(Pledge.action_areas))).all()
    return page


def published_pledge(reference):
    """The published pledge with this reference, or None (unknown and unpublished alike)."""
    return db.session.scalars(
        select(Pledge).where(Pledge.reference == (reference or "").strip().upper(),
                             *published_conditions())
        .options(selectinload(Pledge.action_areas),
                 selectinload(Pledge.co_pledging_cities))).first()


def newest_pledges(limit):
    return db.session.scalars(
        select(Pledge).where(*published_conditions())
        .order_by(Pledge.accepted_at.desc(), Pledge.id.desc())
        .options(selectinload(Pledge.action_areas)).limit(limit)).all()


def newest_reports(limit):
    """(report, its pledge) for the newest sent reports of published pledges."""
    return db.session.execute(
        select(ProgressReport, Pledge).join(Pledge, Pledge.id == ProgressReport.pledge_id)
        .where(ProgressReport.state == "sent", *published_conditions())
        .order_by(ProgressReport.sent_at.desc(), ProgressReport.id.desc())
        .limit(limit)).all()


def published_batches(batch=None):
    """Every published pledge, in batches of `batch` by id (keyset paging: each batch is a
    query of its own, so nothing holds a cursor open while a slow client reads), each pledge
    with its sent reports: [(pledge, reports)]. Memory stays that of one batch."""
    batch, last_id = batch or BATCH, 0
    while True:
        pledges = db.session.scalars(
            select(Pledge).where(*published_conditions(), Pledge.id > last_id)
            .order_by(Pledge.id).limit(batch)
            .options(selectinload(Pledge.action_areas),
                     selectinload(Pledge.co_pledging_cities))).all()
        if not pledges:
            return
        reports = sent_reports_of([pledge.id for pledge in pledges])
        yield [(pledge, reports[pledge.id]) for pledge in pledges]
        last_id = pledges[-1].id
