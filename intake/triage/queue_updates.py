"""The queue's update states in SQL: the rules of pledges/update_states.py as conditions on a
pledge's own columns, against the moments computed once from `now` (update_states.Thresholds),
so that filtering and counting them is never a loop over the pledges.

Counting them: `update_arm` is one more arm (UNION ALL) of a statement that counts the state
tabs, tagged UPDATES, over the due pledges alone (overdue and never received ones are due
too), read from the end of a queue index (models.UPDATE_COLUMNS). `update_columns` counts them
among rows already read instead (a search's, at most its count limit).
"""
from sqlalchemy import and_, case, func, literal, or_, select

from ..models import Pledge
from ..pledges import update_states

UPDATE_FILTERS = tuple(update_states.FILTERS)  # due, overdue, never: the tabs' order
UPDATES = "+updates"  # the tag of update_arm's row (no review state is called so)


def since_at_or_before(of, moment):
    """coalesce(last_report_at, accepted_at) <= moment, as two ranges: reported by then, or
    never reported and accepted by then."""
    return or_(of.last_report_at <= moment,
               and_(of.last_report_at.is_(None), of.accepted_at <= moment))


def update_condition(update, limits, of=Pledge):
    """The pledges an update filter lists (update_states: DUE, OVERDUE, NEVER), on the columns
    of the pledge or of a subquery of its rows (`of`)."""
    found = [of.review_state == update_states.ACCEPTED,
             func.coalesce(of.implementation_stage, "") != update_states.FULFILLED]
    if update == update_states.NEVER:
        found += [of.last_report_at.is_(None), of.accepted_at <= limits.due]
    else:
        moment = limits.overdue if update == update_states.OVERDUE else limits.due
        found.append(since_at_or_before(of, moment))
    return and_(*found)


def update_columns(limits, of):
    """COUNT columns of the rows each update filter lists, in UPDATE_FILTERS order."""
    return [func.count(case((update_condition(update, limits, of), 1)))
            for update in UPDATE_FILTERS]


def update_arm(found, limits, stop_after=None, extra=None):
    """(UPDATES, 0, due, overdue, never) under the conditions `found`, at most `stop_after`
    due pledges counted, the first by number (without an order, which ones the database read
    first, and so the overdue among them, would change from one count to the next); `extra`:
    one more column, as the statement's other arm has."""
    due = (select(Pledge.last_report_at, Pledge.accepted_at)
           .where(*found, update_condition(update_states.DUE, limits))
           .order_by(Pledge.id).limit(stop_after).subquery())
    return select(literal(UPDATES), literal(0), func.count(),
                  func.count(case((since_at_or_before(due.c, limits.overdue), 1))),
                  func.count(case((due.c.last_report_at.is_(None), 1))),
                  *([] if extra is None else [extra]))


def tallies(rows, tab):
    """(rows (state, pledges), {update filter: pledges}) from the rows of a count: the update
    arm's row if there is one, else the sum of the update columns of the tab's rows."""
    rows = list(rows)
    arm = [row[2:] for row in rows if row[0] == UPDATES]
    in_tab = arm or [row[2:] for row in rows if not tab or row[0] == tab]
    return ([(row[0], row[1]) for row in rows if row[0] != UPDATES],
            {update: sum(row[number] for row in in_tab)
             for number, update in enumerate(UPDATE_FILTERS)})
