"""The audit log: every change by anyone, in the same transaction as the change."""
from dataclasses import dataclass

from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..models import AuditEntry


@dataclass(frozen=True)
class Actor:
    type: str  # "coordinator", "city" or "system"
    id: int | None
    label: str


CITY = Actor("city", None, "City contact")
SYSTEM = Actor("system", None, "System")
# The stored labels of these two, in the reader's language (a coordinator's is their name).
ACTOR_LABELS = {CITY.label: _l("City contact"), SYSTEM.label: _l("System")}


def actor_label(stored):
    """Who did something, as the timeline says it in the reader's language."""
    return ACTOR_LABELS.get(stored, stored)


def coordinator_actor(coordinator):
    return Actor("coordinator", coordinator.id, coordinator.display_name)


def plain(value):
    """JSON-safe copies of what changed (dates and decimals become text)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record(actor, action, pledge_id=None, before=None, after=None, coordinator_id=None):
    entry = AuditEntry(actor_type=actor.type, actor_id=actor.id, actor_label=actor.label,
                       action=action, pledge_id=pledge_id, coordinator_id=coordinator_id,
                       before=plain(before or {}), after=plain(after or {}))
    db.session.add(entry)
    return entry
