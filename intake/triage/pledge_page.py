"""A pledge's page for coordinators: every answer, the timeline, and the actions."""
from . import bp  # noqa: F401
