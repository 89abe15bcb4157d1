"""A match's states and the moves between them. Plain rules: no HTTP, no database.

proposed -> introduced -> agreed -> closed, and proposed or introduced -> closed (declined).
A match is introduced (each side given the other's contact) only once the city agreed to share
its contact with that partner, on its private status page; the coordinators ask it first.
"""
from dataclasses import dataclass

from ..extensions import lazy_gettext as _l

STATES = {
    "proposed": _l("Proposed"),
    "introduced": _l("Introduced"),
    "agreed": _l("Agreed"),
    "closed": _l("Closed"),
}
MOVES = {
    "proposed": ("introduced", "closed"),
    "introduced": ("agreed", "closed"),
    "agreed": ("closed",),
}
# Closed from these, a match was declined (a partner is found only through "agreed").
DECLINED_FROM = ("proposed", "introduced")
# What the coordinators' buttons say for each move.
MOVE_LABELS = {
    "introduced": _l("Introduce them"),
    "agreed": _l("They agreed to work together"),
    "closed": _l("Close"),
}


class MoveRefused(Exception):
    """A move the rules do not allow; its message says why, for the person who tried."""


@dataclass(frozen=True)
class Match:
    """What the rules need to know about a match and its pledge."""

    state: str
    city_asked: bool = False
    city_agreed: bool = False
    city_declined: bool = False
    pledge_published: bool = True  # in the register: accepted, and its city consented
    city_reachable: bool = True  # the pledge still has a contact email (not erased)

    @property
    def awaiting_city(self):
        return self.city_asked and not (self.city_agreed or self.city_declined)


def state_label(state):
    return STATES.get(state, state)


def allowed_moves(state):
    return MOVES.get(state, ())


def check_move(match, target):
    """Raise MoveRefused, saying why, unless the match may move to `target`."""
    if target not in STATES:
        raise MoveRefused(_l("“%(state)s” is not a state of a match.", state=target))
    if target not in allowed_moves(match.state):
        raise MoveRefused(_l("A match that is “%(current)s” cannot be moved to “%(target)s”.",
                             current=state_label(match.state), target=state_label(target)))
    if target == "introduced":
        check_introduction(match)


def check_introduction(match):
    if not match.pledge_published:
        raise MoveRefused(_l("The pledge is no longer in the public register: the match "
                             "cannot be introduced. Close it instead."))
    if not match.city_reachable:
        raise MoveRefused(_l("The city's contact details were erased: there is no contact "
                             "to introduce. Close the match instead."))
    if not match.city_asked:
        raise MoveRefused(_l("Ask the city first: it must agree to share its contact with "
                             "this partner before they are introduced."))
    if not match.city_agreed:
        raise MoveRefused(_l("The city has not agreed yet to share its contact with this "
                             "partner: they can be introduced once it has."))


def check_asking_city(match):
    """The coordinators ask the city whether it agrees to be introduced to the partner."""
    if match.state != "proposed":
        raise MoveRefused(_l("Only a proposed match can be put to the city."))
    if match.city_asked:
        raise MoveRefused(_l("The city was already asked about this offer."))
    if not match.pledge_published:
        raise MoveRefused(_l("The pledge is no longer in the public register: close the "
                             "match instead."))
    if not match.city_reachable:
        raise MoveRefused(_l("The city's contact details were erased: it cannot be asked."))


def check_city_answer(match):
    """The city answers on its status page: only an offer it was asked about and has not
    answered yet, while its pledge is in the register."""
    if not match.awaiting_city or match.state != "proposed" or not match.pledge_published:
        raise MoveRefused(_l("This offer is not waiting for your answer any more."))
