"""The register's Atom feed (feedgen): the newest published pledges and progress reports,
newest first. Each entry's id is the pledge's register address (a report's: that address and
the report's anchor), absolute from BASE_URL: stable, whatever the feed shows around it."""
from feedgen.feed import FeedGenerator
from flask import current_app
from flask_babel import gettext as _

from ..clock import as_utc, utcnow
from ..web.paths import public_url
from . import queries
from .open_data import register_url

FEED_ENTRIES = 50
EPOCH_FOR_AN_EMPTY_FEED = "2026-01-01T00:00:00+00:00"


def pledge_entry(pledge):
    url = register_url(pledge.reference)
    return {"id": url, "link": url, "at": as_utc(pledge.accepted_at),
            "title": _("New pledge: %(city)s – %(title)s", city=pledge.city, title=pledge.title),
            "text": pledge.summary or pledge.commitment or ""}


def report_entry(report, pledge):
    url = f"{register_url(pledge.reference)}#report-{report.id}"
    return {"id": url, "link": url, "at": as_utc(report.sent_at),
            "title": _("Progress report: %(city)s – %(title)s", city=pledge.city,
                       title=pledge.title),
            "text": report.done or report.results or ""}


def newest_entries(limit=FEED_ENTRIES):
    """The `limit` newest entries, pledges and reports merged by date."""
    entries = [pledge_entry(pledge) for pledge in queries.newest_pledges(limit)]
    entries += [report_entry(report, pledge) for report, pledge in queries.newest_reports(limit)]
    entries.sort(key=lambda entry: (entry["at"], entry["id"]), reverse=True)
    return entries[:limit]


def atom_feed():
    """The feed as bytes (Atom 1.0)."""
    entries = newest_entries()
    feed = FeedGenerator()
    feed.id(public_url("register.feed"))
    feed.title(_("Call to Local Action on Migration: new pledges and progress reports"))
    feed.subtitle(_("Pledges accepted by the Mayors Mechanism and published with their city's "
                    "consent, and the cities' progress reports."))
    feed.author({"name": _("Mayors Mechanism: UCLG, the Mayors Migration Council and IOM")})
    feed.link(href=public_url("register.feed"), rel="self", type="application/atom+xml")
    feed.link(href=public_url("register.index"), rel="alternate", type="text/html")
    feed.rights(current_app.config["REGISTER_LICENCE"])
    feed.updated(entries[0]["at"] if entries else EPOCH_FOR_AN_EMPTY_FEED)
    for entry in reversed(entries):  # feedgen puts each added entry first
        item = feed.add_entry()
        item.id(entry["id"])
        item.title(entry["title"])
        item.link(href=entry["link"], rel="alternate", type="text/html")
        item.updated(entry["at"] or utcnow())
        item.published(entry["at"] or utcnow())
        item.summary(entry["text"])
    return feed.atom_str(pretty=True)
