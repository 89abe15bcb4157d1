"""The one clock: every "now" of the app comes from here, always in UTC."""
from datetime import datetime, time, timezone


def utcnow():
    return datetime.now(timezone.utc)


def as_utc(moment):
    """SQLite hands back naive datetimes; they were stored in UTC. None stays None."""
    if moment is None or moment.tzinfo:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def midnight(day):
    """The first moment of a day, in UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


def parse_moment(value):
    """An ISO 8601 date and time, as given on the command line; without a zone, UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
