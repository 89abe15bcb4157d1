"""What the public register publishes, decided in one place, and the city's consent to it.

A pledge is published when it is accepted (the review state "accepted": a withdrawn, merged or
declined pledge never is) and its city consented to publication. The register's pages, its
feed and its downloads all read published_conditions(); nothing else decides it. A city may
stop publishing its pledge, and publish it again, from its private tracker: each change is
audited, and the register follows at once (it reads the database on every request)."""
from ..clock import utcnow
from ..extensions import lazy_gettext as _l
from ..models import Pledge
from . import audit
from .status import TransitionRefused

PUBLISHED_STATE = "accepted"
# A city may change its consent while its pledge is sent and open (a draft answers step 5).
CONSENT_CHANGES_IN = {"submitted", "in_review", "information_requested", "accepted"}


def published_conditions():
    """The WHERE conditions of a published pledge (for any query on Pledge). An accepted
    pledge always has its reference (given when it was sent); both columns are the first of
    the register's indexes (migration 0015), so a count reads the index alone."""
    return [Pledge.review_state == PUBLISHED_STATE, Pledge.consent_publish.is_(True)]


def is_published(pledge):
    """Whether the register shows this pledge now: the rule above, read off the pledge in hand
    (its page, a match's move, the city's tracker ask no query of their own)."""
    return pledge.review_state == PUBLISHED_STATE and pledge.consent_publish is True


def may_change_consent(pledge):
    return pledge.review_state in CONSENT_CHANGES_IN


def set_publication_consent(pledge, publish, now=None):
    """The city stops (publish=False) or allows again (True) the publication of its pledge.
    Audited; returns whether anything changed (a second click changes nothing)."""
    if not may_change_consent(pledge):
        raise TransitionRefused(_l("The publication of this pledge can no longer be "
                                    "changed."))
    if bool(pledge.consent_publish) == publish:
        return False
    before = {"consent_publish": pledge.consent_publish}
    pledge.consent_publish = publish
    pledge.last_activity_at = now or utcnow()
    audit.record(audit.CITY, "publication_consent_given" if publish
                 else "publication_consent_withdrawn", pledge.id, before,
                 {"consent_publish": publish})
    return True
