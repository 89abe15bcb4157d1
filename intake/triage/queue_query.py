"""The coordinators' queue as queries, with no HTTP: the filters read from a query string, the
counts per review state, one page of pledges, and every filtered pledge for the exports.

Days waiting: the working days (Monday to Friday, status.working_days_between) from the moment a
pledge was sent to now, for a pledge whose review state is in status.WAITING_FOR_COORDINATORS
(submitted, in review). Any other state waits for nobody: it has no days waiting. A pledge is
waiting too long when its days waiting are more than the target (FIRST_RESPONSE_WORKING_DAYS).

"To do", the view a coordinator opens on (no filter in the link): pledges waiting on us (a
review state in status.WAITING_FOR_COORDINATORS, which a city's answer returns to), assigned to
nobody or to the coordinator who looks. Counted in the statement that counts the state tabs (a
column of its own, per state); its pages are the merge of its states' ordered lists, as "All"'s.

A search by words is counted up to a limit (TRIAGE_SEARCH_COUNT_LIMIT): within it, tab by tab,
and its matches are collected then sorted (few_matches_ids). Past it, a common word, counting
and sorting every match is what would make the page slow: the queue says "more than" the
limit, lists the first ones in the chosen order, read from an index in that order with each
pledge checked against the search (walked_ids), and the downloads hold every match.

Update states (pledges/update_states.py: update due, overdue, no update ever received) are SQL
conditions on the pledge's own columns (queue_updates.py). Their tabs are counted under every
filter but the update one, in the statement that counts the state tabs: an arm of its own
(UNION ALL) over the accepted pledges, read from the end of the same indexes; a search counts
them among the pledges its count reads (but with an update filter chosen: those are the
filter's pledges alone, so they get the arm). No query of their own.
"""
import re
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import and_, case, func, literal, or_, select, text, union_all
from sqlalchemy.orm import load_only, selectinload

from ..catalogue.compacts import ACTION_AREAS_BY_SLUG
from ..catalogue.countries import COUNTRY_CODES
from ..catalogue.regions import REGIONS
from ..clock import as_utc, midnight
from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..models import Pledge, PledgeActionArea
from ..pledges import status, update_states
from ..web.fields import FORBIDDEN_CHARACTERS
from .queue_updates import (
    UPDATE_FILTERS,
    UPDATES,
    tallies,
    update_arm,
    update_columns,
    update_condition,
)

EXPORT_BATCH = 500
WALK_ROWS = 10_000  # pledges read in order for a page of a search, at most (see walk)
MERGE_FROM_TOTAL = 1000  # see reads_state_indexes
QUEUE_STATES = [state for state in status.REVIEW_STATES if state != "draft"]
WAITING_STATES = [state for state in QUEUE_STATES if state in status.WAITING_FOR_COORDINATORS]
# The query string's names of what narrows the queue (sorting and paging do not): a link with
# none of them opens on "To do".
FILTER_NAMES = ("state", "area", "region", "country", "assignee", "mine", "overdue", "update",
                "q")
TODO, ALL = "todo", "all"  # the state values of the "To do" and "All" tabs

# Each sort and the direction it takes when the link or the form does not say.
SORTS = {
    "submitted": ("desc", _l("Date sent")),
    "city": ("asc", _l("City")),
    "reference": ("asc", _l("Reference")),
    "waiting": ("desc", _l("Days waiting")),
}
DIRECTIONS = {"asc": _l("Ascending"), "desc": _l("Descending")}
DEFAULT_SORT = "submitted"
TRUE_WORDS = {"1", "y", "yes", "on", "true"}
UNASSIGNED = "none"

MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 8
MAX_WORD_LENGTH = 40
SEARCH_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script, nothing else
REFERENCE = re.compile(r"^[A-Za-z]{1,10}-\d{4}-\d{1,8}$")
SQLITE_SEARCH = "pledge.id IN (SELECT rowid FROM pledge_search WHERE pledge_search MATCH :match)"
# The stored document of migration 0006, the one its GIN index holds; pledge_search_fold is
# unaccent: "Sao" finds "São", as it does on SQLite.
POSTGRESQL_SEARCH = ("pledge.pledge_search_document @@ "
                     "to_tsquery('simple', pledge_search_fold(:tsquery))")

# What a row of the queue or of an export shows (the rest of a pledge is not read).
LISTED_COLUMNS = (Pledge.reference, Pledge.review_state, Pledge.submitted_at, Pledge.city,
                  Pledge.country_code, Pledge.title, Pledge.implementation_stage,
                  Pledge.region, Pledge.assignee_id, Pledge.gcm_objectives,
                  Pledge.gcr_objectives, Pledge.version, Pledge.accepted_at,
                  Pledge.last_report_at)


@dataclass(frozen=True)
class QueueFilters:
    """What the coordinator asked for; every value already checked (see parse_filters)."""

    state: str = ""
    area: str = ""
    region: str = ""
    country: str = ""
    assignee: str = ""  # a coordinator's id, or UNASSIGNED
    mine: bool = False
    overdue: bool = False
    update: str = ""  # update_states.DUE, OVERDUE or NEVER
    q: str = ""
    sort: str = DEFAULT_SORT
    dir: str = SORTS[DEFAULT_SORT][0]
    page: int = 1
    todo: bool = False  # "To do": waiting on us, assigned to nobody or to me (todo_condition)

    def as_args(self, **changes):
        """The query string of this view (defaults left out), with some values changed. A
        link with no filter opens on "To do": "All" alone says state=all, and "To do" says
        state=todo beside another filter."""
        changed = replace(self, **changes)
        args = {}
        for item in fields(changed):
            value = getattr(changed, item.name)
            if item.name not in ("sort", "dir", "todo") and value not in (item.default, "",
                                                                           False):
                args[item.name] = "1" if value is True else value
        filtered = any(name in args for name in FILTER_NAMES)
        if changed.todo and filtered:
            args["state"] = TODO
        elif not changed.todo and not filtered:
            args["state"] = ALL
        if (changed.sort, changed.dir) != (DEFAULT_SORT, SORTS[DEFAULT_SORT][0]):
            args["sort"], args["dir"] = changed.sort, changed.dir  # a direction needs its sort
        return args

    @property
    def filtered(self):
        """A filter or a search narrows the view (beyond its tab)."""
        return bool(self.area or self.region or self.country or self.assignee or self.mine
                    or self.overdue or self.update or self.q)

    @property
    def tab(self):
        """The tab shown, as the form's hidden field carries it."""
        return TODO if self.todo else self.state or ALL

    def sorted_by(self, sort):
        """The view sorted by this column: its default direction, or the other one if it is
        already sorted so. Back to the first page."""
        direction = SORTS[sort][0]
        if self.sort == sort:
            direction = "asc" if self.dir == "desc" else "desc"
        return self.as_args(sort=sort, dir=direction, page=1)


@dataclass(frozen=True)
class QueueContext:
    """Who looks, and when: "mine", "waiting too long" and the update states depend on them."""

    me: int | None
    now: datetime
    target_days: int
    update_rules: update_states.UpdateRules = update_states.UpdateRules()

    @property
    def update_thresholds(self):
        return update_states.thresholds(self.update_rules, self.now)


@dataclass
class QueuePage:
    """A page of the queue. counts: pledges per review state, None where a search that matches
    too many was not counted. capped: more than `total` match (a search; only `total` are
    listed). updates: pledges per update filter (update_states.FILTERS), under every filter but
    that one; updates_capped: a search with more than the count limit due, so each of them is
    "at least"."""

    pledges: list
    number: int
    size: int
    total: int
    counts: dict = field(default_factory=dict)
    capped: bool = False
    more_than: int | None = None  # a search matching more pledges than this: tabs not counted
    updates: dict = field(default_factory=dict)
    updates_capped: bool = False
    todo: int | None = None  # pledges of the "To do" tab (None: not counted)

    @property
    def last(self):
        return max(1, ceil(self.total / self.size))

    @property
    def first_shown(self):
        return (self.number - 1) * self.size + 1 if self.pledges else 0

    @property
    def last_shown(self):
        return self.first_shown + len(self.pledges) - 1 if self.pledges else 0


# --- reading the query string -------------------------------------------------------------


def shown(value):
    """A value as it may be quoted in a message (not too long, on one line)."""
    value = " ".join(FORBIDDEN_CHARACTERS.sub(" ", value).split())
    return value if len(value) <= 40 else value[:39] + "…"


PROBLEMS = {
    "state": _l("There is no review state “%(value)s” in the queue: every state is shown."),
    "area": _l("There is no action area “%(value)s”: that filter was left out."),
    "region": _l("There is no region “%(value)s”: that filter was left out."),
    "country": _l("There is no country “%(value)s”: that filter was left out."),
    "update": _l("There is no update state “%(value)s”: that filter was left out."),
    "assignee": _l("“%(value)s” is not a coordinator: that filter was left out."),
    "sort": _l("Pledges cannot be sorted by “%(value)s”: they are sorted by the date sent."),
    "dir": _l("“%(value)s” is not an order: the usual one is used."),
    "page": _l("“%(value)s” is not a page number: the first page is shown."),
}


def problem(name, value):
    return PROBLEMS[name] % {"value": shown(value)}


def parse_filters(args):
    """(QueueFilters, problems): a value that is not understood is left out, and said so."""
    problems = []

    def pick(name, allowed, value=None):
        value = (args.get(name) or "").strip() if value is None else value
        if value and value not in allowed:
            problems.append(problem(name, value))
            return ""
        return value

    state = pick("state", {*QUEUE_STATES, ALL, TODO})
    if not any((args.get(name) or "").strip() for name in FILTER_NAMES):
        state = TODO  # nothing asked for: what needs doing
    sort = pick("sort", SORTS) or DEFAULT_SORT
    filters = QueueFilters(
        state="" if state in (ALL, TODO) else state,
        todo=state == TODO,
        area=pick("area", ACTION_AREAS_BY_SLUG),
        region=pick("region", REGIONS),
        country=pick("country", COUNTRY_CODES, (args.get("country") or "").strip().upper()),
        assignee=parse_assignee(args.get("assignee"), problems),
        mine=is_ticked(args.get("mine")),
        overdue=is_ticked(args.get("overdue")),
        update=pick("update", update_states.FILTERS, (args.get("update") or "").strip().lower()),
        q=search_text(args.get("q")),
        sort=sort,
        dir=pick("dir", DIRECTIONS) or SORTS[sort][0],
        page=parse_page(args.get("page"), problems),
    )
    return filters, problems


def search_text(raw):
    """A search is words: line breaks, tabs and other control characters separate them like
    spaces (a NUL would not even reach PostgreSQL)."""
    return " ".join(FORBIDDEN_CHARACTERS.sub(" ", raw or "").split())[:MAX_SEARCH_LENGTH]


def parse_assignee(raw, problems):
    raw = (raw or "").strip()
    if raw and raw != UNASSIGNED and not is_number(raw):
        problems.append(problem("assignee", raw))
        return ""
    return raw


def is_ticked(raw):
    return (raw or "").strip().lower() in TRUE_WORDS


def parse_page(raw, problems):
    raw = (raw or "").strip()
    if not raw:
        return 1
    if not is_number(raw) or int(raw) < 1:
        problems.append(problem("page", raw))
        return 1
    return int(raw)


def is_number(raw):
    """Plain digits, not too many (a database integer; "²" or "١" are not page numbers)."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 9


# --- search ---------------------------------------------------------------------------------


def search_words(q):
    """The words of a search, letters and digits only: nothing the search syntax could read."""
    words = [word[:MAX_WORD_LENGTH] for word in SEARCH_WORD.findall(q or "")]
    return words[:MAX_SEARCH_WORDS]


def sqlite_match(words):
    """FTS5: each word a quoted string, prefix-matched ("welc"* finds "welcome")."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def postgresql_tsquery(words):
    return " & ".join(f"{word}:*" for word in words)


def search_condition(q, dialect):
    if REFERENCE.match(q or ""):
        return Pledge.reference == q.upper()
    words = search_words(q)
    if not words:
        return None
    if dialect == "postgresql":
        return text(POSTGRESQL_SEARCH).bindparams(tsquery=postgresql_tsquery(words))
    return text(SQLITE_SEARCH).bindparams(match=sqlite_match(words))


def is_word_search(q):
    """A search by words (not by reference, which finds one pledge at most)."""
    return bool(search_words(q)) and not REFERENCE.match(q or "")


# --- days waiting ---------------------------------------------------------------------------


def days_waiting(pledge, now):
    if pledge.review_state not in status.WAITING_FOR_COORDINATORS or not pledge.submitted_at:
        return None
    return status.working_days_between(as_utc(pledge.submitted_at), now)


def waiting_too_long_before(now, target_days):
    """The moment before which a pledge sent is now waiting more than target_days working
    days (working days depend only on the day a pledge was sent, so this is a midnight)."""
    day, working_days = now.date(), 0  # sent today: 0 working days
    while working_days <= target_days:
        if day.weekday() < 5:  # sent the day before, this day counts too
            working_days += 1
        day -= timedelta(days=1)
    return midnight(day + timedelta(days=1))


# --- the queries ----------------------------------------------------------------------------


def dialect_name():
    return db.session.get_bind().dialect.name


def conditions(filters, context, with_state=True, reads_in_order=False):
    """WHERE conditions of the filters (the state tab left out for the counts per tab).

    reads_in_order: the pledges are read in order and the reading stops early (a page from an
    index in the queue's order), so the action area is checked pledge by pledge instead of
    collected."""
    found = [Pledge.review_state != "draft"]
    if with_state and filters.state:
        found.append(Pledge.review_state == filters.state)
    if with_state and filters.todo:
        found.append(todo_condition(context))
    if filters.area:
        found.append(area_condition(filters.area, reads_in_order))
    if filters.region:
        found.append(Pledge.region == filters.region)
    if filters.country:
        found.append(Pledge.country_code == filters.country)
    if filters.assignee == UNASSIGNED:
        found.append(Pledge.assignee_id.is_(None))
    elif filters.assignee:
        found.append(Pledge.assignee_id == int(filters.assignee))
    if filters.mine:
        found.append(Pledge.assignee_id == context.me)
    if filters.overdue:
        found.append(Pledge.review_state.in_(WAITING_STATES))
        found.append(Pledge.submitted_at < waiting_too_long_before(context.now,
                                                                   context.target_days))
    if filters.update:
        found.append(update_condition(filters.update, context.update_thresholds))
    searched = search_condition(filters.q, dialect_name()) if filters.q else None
    if searched is not None:
        found.append(searched)
    return found


def todo_condition(context, of=Pledge):
    """The "To do" tab: waiting on us (status.WAITING_FOR_COORDINATORS: sent, in review, or
    answered by the city, which returns it to review; not waiting on the city, nor decided),
    and assigned to nobody or to the coordinator who looks."""
    return and_(of.review_state.in_(WAITING_STATES),
                or_(of.assignee_id.is_(None), of.assignee_id == context.me))


def todo_column(context, of=Pledge):
    """COUNT of the rows of the "To do" tab, the last column of a count's statement."""
    return func.count(case((todo_condition(context, of), 1)))


def area_condition(area, pledge_by_pledge):
    """Pledges with this action area: the area's pledges collected once (IN), or a probe of
    the primary key (pledge_id, area) for each pledge read (EXISTS)."""
    if pledge_by_pledge:
        return select(PledgeActionArea.pledge_id).where(
            PledgeActionArea.pledge_id == Pledge.id, PledgeActionArea.area == area).exists()
    return Pledge.id.in_(select(PledgeActionArea.pledge_id).where(PledgeActionArea.area == area))


def waiting_rank():
    """0 for a pledge waiting for the coordinators, 1 for any other: waiting ones come first."""
    return case((Pledge.review_state.in_(WAITING_STATES), 0), else_=1)


def order_keys(filters):
    """(expression, ascending) pairs of the chosen sort, with the id last so that pages never
    overlap."""
    ascending = filters.dir == "asc"
    if filters.sort == "city":
        return [(func.lower(Pledge.city), ascending), (Pledge.id, ascending)]
    if filters.sort == "reference":
        return [(Pledge.reference, ascending), (Pledge.id, ascending)]
    if filters.sort == "waiting":
        # More days waiting = sent earlier; pledges waiting for nobody come last either way.
        by_date = [(Pledge.submitted_at, not ascending), (Pledge.id, not ascending)]
        return by_date if filters.state or filters.todo else [(waiting_rank(), True), *by_date]
    return [(Pledge.submitted_at, ascending), (Pledge.id, ascending)]


def directed(expression, ascending):
    return expression.asc() if ascending else expression.desc()


def ordering(filters, reverse=False):
    return [directed(expression, ascending != reverse)
            for expression, ascending in order_keys(filters)]


def counts_per_state(rows):
    """{state: number} of every queue state from (state, number) rows (0 where none)."""
    counts = dict.fromkeys(QUEUE_STATES, 0)
    counts.update({state: number for state, number in rows if state in counts})
    return counts


def state_counts(filters, context):
    """(pledges per review state under every filter but the state tab, pledges per update
    filter under every filter but that one): one grouped COUNT, with the update tabs' arm."""
    others = replace(filters, update="", todo=False)  # "To do" counts its update tabs as "All"
    state = Pledge.review_state
    if has_narrowing_filters(others) and dialect_name() == "sqlite":
        # Grouped by the column, SQLite (which has no statistics: the app runs no ANALYZE)
        # walks the state index to skip a sort, and fetches every row from it at random.
        state = func.coalesce(Pledge.review_state, "")
    by_state = (select(state, func.count(), *[literal(0)] * len(UPDATE_FILTERS),
                       todo_column(context))
                .where(*conditions(filters, context, with_state=False))
                .group_by(state))
    arm = update_arm(counting_conditions(others, context), context.update_thresholds,
                     extra=literal(0))
    return counted(db.session.execute(union_all(by_state, arm)), filters)


def counted(rows, filters):
    """(pledges per review state, pledges per update filter, pledges to do per review state)
    from the rows of a count, whose last column counts the "To do" tab's."""
    rows = list(rows)
    todo_by_state = counts_per_state((row[0], row[-1]) for row in rows if row[0] != UPDATES)
    # The update tabs of "To do" count under "All" (their links lead there: see update_tabs).
    per_state, updates = tallies([row[:-1] for row in rows], filters.state)
    return counts_per_state(per_state), updates, todo_by_state


def has_narrowing_filters(filters):
    return bool(filters.area or filters.region or filters.country or filters.assignee
                or filters.mine or filters.update or filters.q)


def listed(statement):
    """Only what a row shows, with the action areas and the assignee (one query each)."""
    return statement.options(load_only(*LISTED_COLUMNS), selectinload(Pledge.action_areas),
                             selectinload(Pledge.assignee))


def window(total, offset, limit):
    """(offset, limit, reverse): rows past the middle are read from the other end, so that the
    last page costs what the first does."""
    if offset <= total // 2:
        return offset, limit, False
    from_end = total - offset - limit
    return max(from_end, 0), limit + min(from_end, 0), True


def reads_state_indexes(filters, total):
    """Sorted by date sent or days waiting, each state's pledges come in order from the index
    (review_state, submitted_at): the page is a merge of those ordered lists, with no sort of
    every pledge. Not when the other filters keep few pledges (each state's list would be read
    to its end), nor for a search (its own index finds the pledges)."""
    return (filters.sort in ("submitted", "waiting") and not filters.q
            and (not has_narrowing_filters(filters) or total >= MERGE_FROM_TOTAL))


def state_groups(filters):
    """The states in the order the sort lists them: for days waiting, waiting ones first."""
    states = [filters.state] if filters.state else WAITING_STATES if filters.todo else QUEUE_STATES
    if filters.sort != "waiting":
        return [states]
    return [[s for s in states if s in WAITING_STATES],
            [s for s in states if s not in WAITING_STATES]]


def merged_state_ids(filters, context, counts, offset, limit):
    """The ids at [offset, offset + limit) of the queue, group of states by group."""
    parts, position = [], 0
    for group in state_groups(filters):
        group = [state for state in group if counts[state]]
        group_total = sum(counts[state] for state in group)
        first, last = max(offset, position), min(offset + limit, position + group_total)
        if first < last:
            parts.append(group_ids(filters, context, group,
                                   *window(group_total, first - position, last - first)))
        position += group_total
    return parts[0] if len(parts) == 1 else union_all(*parts)


def group_ids(filters, context, states, offset, limit, reverse):
    """A merge of these states' lists, each in submitted_at order from its index range.

    SQLite merges the ranges as they stream (MERGE (UNION ALL)); PostgreSQL needs each range
    cut at offset + limit to read it from the index (then a Merge Append) instead of sorting
    every pledge of the state."""
    newest_first = order_keys(replace(filters, state=states[0]))[0][1] == reverse
    cut = dialect_name() == "postgresql"

    def ordered(submitted_at, pledge_id):
        if newest_first:
            return submitted_at.desc(), pledge_id.desc()
        return submitted_at.asc(), pledge_id.asc()

    arms = []
    for state in states:
        arm = (select(Pledge.id, Pledge.submitted_at)
               .where(*conditions(replace(filters, state=state), context, reads_in_order=True)))
        if cut:
            arm = select(*arm.order_by(*ordered(Pledge.submitted_at, Pledge.id))
                         .limit(offset + limit).subquery().c)
        arms.append(arm)
    merged = union_all(*arms) if len(arms) > 1 else arms[0]
    columns = merged.selected_columns
    page = merged.order_by(*ordered(columns.submitted_at, columns.id)).limit(limit).offset(offset)
    return select(page.subquery().c.id)


def page_ids(filters, context, counts, total, number, size):
    offset = (number - 1) * size
    if reads_state_indexes(filters, total):
        return merged_state_ids(filters, context, counts, offset, size)
    offset, limit, reverse = window(total, offset, size)
    return (select(Pledge.id).where(*conditions(filters, context))
            .order_by(*ordering(filters, reverse)).limit(limit).offset(offset))


def search_counts(filters, context, limit):
    """A word search's counts per tab, the counting stopped past `limit` matches:
    (counts, total, capped, dense, updates). dense: the search matches more than `limit`
    pledges in all, so the tabs are not counted (None) and its pages are read in order
    (walked_ids). updates: pledges per update filter (see grouped_counts), not counted either
    for a dense search without an update filter."""
    counts, updates, todo_by_state = grouped_counts(filters, context, with_state=False,
                                                    stop_after=limit + 1)
    todo_count = sum(todo_by_state.values())
    matched = sum(counts.values())
    if matched <= limit:
        total = shown_total(filters, counts, todo_count)
        return counts, total, False, False, updates, todo_count
    uncounted = dict.fromkeys(QUEUE_STATES)
    if not filters.update:
        updates = dict.fromkeys(UPDATE_FILTERS)
    if not filters.state and not filters.todo:
        return uncounted, limit, True, True, updates, None
    in_tab = sum(grouped_counts(filters, context, stop_after=limit + 1)[0].values())
    if filters.state:
        uncounted[filters.state] = min(in_tab, limit)
    todo_count = min(in_tab, limit) if filters.todo else None
    return uncounted, min(in_tab, limit), in_tab > limit, True, updates, todo_count


def shown_total(filters, counts, todo_count):
    """The pledges of the tab shown."""
    if filters.todo:
        return todo_count
    return counts[filters.state] if filters.state else sum(counts.values())


def grouped_counts(filters, context, with_state=True, stop_after=None):
    """Pledges per review state under the filters, at most `stop_after` of them counted.

    The search finds the pledges; an action area is checked on each of them (a CASE, which
    PostgreSQL cannot turn into a join: guessing few matches, it would collect every match
    to join them with the area's pledges, and only then stop).

    Returns (counts per state, pledges per update filter): the update filters are counted
    among the same pledges (at most `stop_after` read), unless one of them is chosen (these
    are then its pledges alone): they are then counted on their own, up to `stop_after` due
    pledges, in an arm of the same statement."""
    limits = context.update_thresholds
    matching = (select(Pledge.review_state, Pledge.implementation_stage, Pledge.last_report_at,
                       Pledge.accepted_at, Pledge.assignee_id)
                .where(*counting_conditions(filters, context, with_state))
                .limit(stop_after).subquery())
    statement = (select(matching.c.review_state, func.count(),
                        *update_columns(limits, matching.c), todo_column(context, matching.c))
                 .group_by(matching.c.review_state))
    if filters.update:
        others = counting_conditions(replace(filters, update="", todo=False), context)
        statement = union_all(statement, update_arm(others, limits, stop_after,
                                                    extra=literal(0)))
    return counted(db.session.execute(statement), filters)


def counting_conditions(filters, context, with_state=True):
    """The filters' conditions with the action area checked on each pledge (see
    grouped_counts)."""
    found = conditions(replace(filters, area=""), context, with_state=with_state)
    if filters.area:
        found.append(case((area_condition(filters.area, pledge_by_pledge=True), True),
                          else_=False))
    return found


def walked_ids(filters, context, offset, limit):
    """(id, rank) of a page of a search that matches too many pledges to read and sort them
    all: an index gives the pledges in the queue's order and each is checked against the
    search, until the page is full. The cost follows the page's depth (at most the count
    limit), not the number of matches.

    Sorted by days waiting with every state shown, the waiting ones (rank 0) are read first,
    then the others (rank 1), and the two lists put one after the other."""
    if filters.sort != "waiting" or filters.state or filters.todo:
        walked = walk(filters, context)
        return (select(walked.c.id, literal(0).label("rank")).where(walked.c.hit)
                .limit(limit).offset(offset))
    arms = []
    for rank, states in enumerate(state_groups(filters)):
        walked = walk(filters, context, states)
        arms.append(select(walked.c.id, walked.c.submitted_at, literal(rank).label("rank"))
                    .where(walked.c.hit).limit(offset + limit).subquery().select())
    merged = union_all(*arms).subquery()
    by_date = order_keys(replace(filters, state=QUEUE_STATES[0]))  # one state: the date alone
    order = [directed(merged.c[key.name], ascending) for key, ascending in by_date]
    return (select(merged.c.id, merged.c.rank).order_by(merged.c.rank, *order)
            .limit(limit).offset(offset))


def walked_page(filters, context, offset, expected):
    """The ids of the page read in order (walked_ids), or None when that reading cannot be
    trusted: a walk stops after WALK_ROWS pledges, so a page that came out short, or that
    reached the second list of "days waiting" (the first one may have been cut short), is
    collected again by few_matches_ids."""
    rows = db.session.execute(walked_ids(filters, context, offset, expected)).all()
    if len(rows) < expected or any(rank for _id, rank in rows):
        return None
    return [pledge_id for pledge_id, _rank in rows]


def in_states(states):
    """review_state IN states. On SQLite through coalesce, so that it reads the date index in
    order rather than each state's index and then sorts them all; PostgreSQL, which keeps
    statistics, plans the plain condition well."""
    if dialect_name() == "sqlite":
        return func.coalesce(Pledge.review_state, "").in_(states)
    return Pledge.review_state.in_(states)


def walk(filters, context, states=None):
    """Every pledge under the filters but the search, in the queue's order, with whether it
    matches the search (hit); `states`: these review states (one group of them) instead of the
    filters' tab. Read from the index of that order while the page is not full.

    At most WALK_ROWS are read: past them the matches are too sparse in this order for the
    reading to pay (page_of_pledges then collects them instead). That LIMIT also keeps the
    database from folding the search into the reading: PostgreSQL would then plan from its
    guess of a prefix search's matches (a flat 2%) and read them all, then sort them; a
    yes-or-no column it guesses true for half the pledges. The rows keep the order of this
    query when read from it (both databases stream it as it is)."""
    others = replace(filters, q="", state="" if states else filters.state)
    found = conditions(others, context, reads_in_order=True)
    if states:
        found.append(in_states(states))
    hit = case((search_condition(filters.q, dialect_name()), True), else_=False).label("hit")
    order = ordering(replace(filters, state=states[0]) if states else filters)
    return (select(Pledge.id, Pledge.submitted_at, hit).where(*found).order_by(*order)
            .limit(WALK_ROWS).subquery())


def few_matches_ids(filters, context, offset, limit):
    """A page of a search that matches at most the count limit (or whose matches are too
    sparse to walk to): every match is collected first (its action area checked on each), then
    sorted. MATERIALIZED, because PostgreSQL may otherwise read a date index in order hoping to
    meet the matches early (its guess for a prefix search is a flat 2%)."""
    keys = order_keys(filters)
    matches = (select(Pledge.id, *[key.label(f"key{number}")
                                   for number, (key, _ascending) in enumerate(keys)])
               .where(*conditions(filters, context, reads_in_order=True))
               .cte("matches").prefix_with("MATERIALIZED"))
    order = [directed(matches.c[f"key{number}"], ascending)
             for number, (_key, ascending) in enumerate(keys)]
    return select(matches.c.id).order_by(*order).limit(limit).offset(offset)


def page_of_pledges(filters, context, page_size, search_limit):
    """The counts per tab and the page asked for (the last one if it asked for more); a
    search is counted up to search_limit matches (see search_counts).

    The page's ids are picked first on their own (a narrow query the database can answer from
    an index), then only those pledges are read in full, with their areas and assignee."""
    searching, dense = is_word_search(filters.q), False
    if searching:
        counts, total, capped, dense, updates, todo_count = search_counts(filters, context,
                                                                          search_limit)
    else:
        (counts, updates, todo_by_state), capped = state_counts(filters, context), False
        todo_count = sum(todo_by_state.values())
        total = shown_total(filters, counts, todo_count)
    page = QueuePage([], 1, page_size, total, counts, capped, search_limit if dense else None,
                     updates, todo=todo_count)
    # Past the count limit, a search's update arm stopped counting: each number is "at least".
    page.updates_capped = searching and (updates[UPDATE_FILTERS[0]] or 0) > search_limit
    page.number = min(filters.page, page.last)
    if not total:
        return page
    offset = (page.number - 1) * page_size
    expected = min(page_size, total - offset)  # a search's last page stops at the count limit
    walked = walked_page(filters, context, offset, expected) if dense else None
    if walked is not None:
        statement = select(Pledge).where(Pledge.id.in_(walked))
    else:
        if searching:
            ids = few_matches_ids(filters, context, offset, expected)
        else:
            ids = page_ids(filters, context, todo_by_state if filters.todo else counts, total,
                           page.number, page_size)
        ids = ids.subquery("page_ids")
        statement = select(Pledge).join(ids, Pledge.id == ids.c.id)
    page.pledges = db.session.scalars(listed(statement.order_by(*ordering(filters)))).all()
    return page


def every_pledge(filters, context):
    """Every pledge under the filters (all pages), in the queue's order, read in batches."""
    statement = listed(select(Pledge).where(*conditions(filters, context))
                       .order_by(*ordering(filters)))
    return db.session.scalars(statement.execution_options(yield_per=EXPORT_BATCH))
