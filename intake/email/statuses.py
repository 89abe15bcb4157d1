"""Where an email of the outbox stands, as the coordinators' pages say it."""
from ..extensions import lazy_gettext as _l

STATUS_LABELS = {
    "pending": _l("waiting to be sent"),
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "failed": _l("not sent (failed)"),
    "suppressed": _l("not sent (address blocked)"),
    "over_budget": _l("not sent (too many emails to this address)"),
    "skipped": _l("not sent (no longer needed)"),
}


def status_label(status):
    return STATUS_LABELS.get(status, status)
