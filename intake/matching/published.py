"""Which pledges are in the public register: accepted, and their city consented to publication.
(The register's own package may take this over: one definition for the whole app.)"""
from sqlalchemy import and_

from ..models import Pledge


def is_published(pledge):
    return pledge is not None and pledge.review_state == "accepted" and bool(
        pledge.consent_publish)


def published_condition():
    """The same rule as a SQL condition on Pledge."""
    return and_(Pledge.review_state == "accepted", Pledge.consent_publish.is_(True))
