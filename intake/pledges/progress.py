"""Progress reports: what a city reports on an accepted pledge, through its private link. A
report is a draft (one open draft per pledge, kept as typed, like the intake's "save and come
back later") until it is sent; a sent report is one dated entry of the pledge's history, and the
stage it gives becomes the pledge's implementation stage (through the status rules, audited).

No HTTP here: the checks below are the ones the city's form shows next to each field."""
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select

from ..clock import utcnow
from ..email import events
from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..models import ProgressReport
from ..reminders.planning import plan_reminders
from . import actions, audit, status

ANSWER_FIELDS = ("stage", "done", "results", "share_delivered", "evidence_links", "help_needed")
MAX_EVIDENCE_LINKS = 5
LINK_MAX_LENGTH = 500
FORM_KEY_BYTES = 18


class ReportRefused(status.TransitionRefused):
    """A report the rules do not take; `field` names the answer at fault (None: the report)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class AlreadySent(Exception):
    """The form was sent before (a second click on "Send"): `report` is what the first sent."""

    def __init__(self, report):
        super().__init__(report.id)
        self.report = report


# --- the checks, shared with the form -----------------------------------------------------------


def share_problem(value):
    """Why a share of the commitment delivered is not taken, or None (nothing given is fine)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 100:
        return _l("Enter the share delivered as a whole number from 0 to 100, or leave it empty.")
    return None


def is_web_address(link):
    if len(link) > LINK_MAX_LENGTH or any(c.isspace() or ord(c) < 32 for c in link):
        return False
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def links_problem(links):
    """Why evidence links are not taken, or None: each a web address (http or https), at most
    MAX_EVIDENCE_LINKS of them."""
    if len(links) > MAX_EVIDENCE_LINKS:
        return _l("Give at most %(max)d links.", max=MAX_EVIDENCE_LINKS)
    for number, link in enumerate(links, start=1):
        if not is_web_address(link):
            return _l("Link %(number)d is not a web address: give each link in full, starting "
                      "with https:// or http://.", number=number)
    return None


def check_answers(pledge, answers):
    """Everything a report must be to be sent; raises ReportRefused naming the answer."""
    try:
        status.check_report(pledge.review_state)
    except status.TransitionRefused as refused:
        raise ReportRefused(refused.args[0]) from refused
    try:
        status.check_report_stage(pledge.review_state, pledge.implementation_stage,
                                  answers.get("stage"))
    except status.TransitionRefused as refused:
        raise ReportRefused(refused.args[0], "stage") from refused
    if not (answers.get("done") or "").strip():
        raise ReportRefused(_l("Say what was done since the last report."), "done")
    for field, problem in (("share_delivered", share_problem(answers.get("share_delivered"))),
                           ("evidence_links", links_problem(answers.get("evidence_links") or []))):
        if problem:
            raise ReportRefused(problem, field)


# --- reading --------------------------------------------------------------------------------------


def new_form_key():
    return secrets.token_urlsafe(FORM_KEY_BYTES)


def open_draft(pledge):
    """The pledge's draft report, or None."""
    return db.session.scalar(select(ProgressReport).where(
        ProgressReport.pledge_id == pledge.id, ProgressReport.state == "draft"))


def sent_reports(pledge_id):
    """The pledge's sent reports, newest first (its dated history)."""
    return db.session.scalars(select(ProgressReport).where(
        ProgressReport.pledge_id == pledge_id, ProgressReport.state == "sent")
        .order_by(ProgressReport.sent_at.desc(), ProgressReport.id.desc())).all()


def sent_reports_of(pledge_ids):
    """{pledge id: its sent reports, newest first} for many pledges in one query (a page of the
    register, a download); a pledge without any has an empty list."""
    found = {pledge_id: [] for pledge_id in pledge_ids}
    if not found:
        return found
    for report in db.session.scalars(select(ProgressReport).where(
            ProgressReport.pledge_id.in_(list(pledge_ids)), ProgressReport.state == "sent")
            .order_by(ProgressReport.sent_at.desc(), ProgressReport.id.desc())):
        found[report.pledge_id].append(report)
    return found


def report_of_pledge(pledge, report_id):
    """One sent report of this pledge, or None (another pledge's, or a draft)."""
    report = db.session.get(ProgressReport, report_id)
    if report is None or report.pledge_id != pledge.id or report.state != "sent":
        return None
    return report


def _report_for_key(pledge, form_key):
    if not form_key:
        return None
    return db.session.scalar(select(ProgressReport).where(
        ProgressReport.pledge_id == pledge.id, ProgressReport.form_key == form_key)
        .order_by(ProgressReport.id.desc()).limit(1))


def report_sent_from(pledge, form_key):
    """The report sent from the form this key names, or None."""
    earlier = _report_for_key(pledge, form_key)
    return earlier if earlier is not None and earlier.state == "sent" else None


def _refuse_a_second_send(pledge, form_key):
    earlier = report_sent_from(pledge, form_key)
    if earlier is not None:
        raise AlreadySent(earlier)


# --- writing ----------------------------------------------------------------------------------


def _fill(report, answers):
    for name in ANSWER_FIELDS:
        if name in answers:
            setattr(report, name, answers[name])
    report.evidence_links = list(report.evidence_links or [])


def _the_draft(pledge, form_key, language, now):
    report = open_draft(pledge)
    if report is None:
        report = ProgressReport(pledge_id=pledge.id, state="draft", created_at=now,
                                evidence_links=[])
        db.session.add(report)
    report.form_key = form_key
    report.language = language
    report.updated_at = now
    return report


def save_draft(pledge, answers, typed=None, form_key=None, language="en", now=None):
    """"Save and come back later": the answers that passed their checks are stored, and when
    some did not, the whole report exactly as typed (`typed`: {field name: [values]}), shown
    again on return. The pledge itself does not change (a coordinator working on it meanwhile
    is not stopped). Returns the draft."""
    status.check_report(pledge.review_state)
    now = now or utcnow()
    _refuse_a_second_send(pledge, form_key)
    report = _the_draft(pledge, form_key or new_form_key(), language, now)
    _fill(report, answers)
    report.typed = typed
    db.session.flush()
    return report


def send_report(pledge, answers, form_key, language="en", now=None):
    """Send the report (the pledge's draft, if any, becomes it). Its stage becomes the pledge's
    implementation stage (a move on the implementation axis, audited); the pledge's last report
    and last update are now, its reminders planned again, and the coordinators told (the
    assignee, else COORDINATOR_EMAILS). The same form sent twice sends once: AlreadySent."""
    now = now or utcnow()
    _refuse_a_second_send(pledge, form_key)
    check_answers(pledge, answers)
    report = _the_draft(pledge, form_key, language, now)
    _fill(report, answers)
    report.typed = None
    report.state = "sent"
    report.sent_at = now
    db.session.flush()
    before = {"stage": pledge.implementation_stage, "last_report_at": pledge.last_report_at}
    if report.stage != pledge.implementation_stage:
        actions.change_stage(pledge, report.stage, None, audit.CITY, now)
    pledge.last_report_at = pledge.last_update_at = pledge.last_activity_at = now
    audit.record(audit.CITY, "progress_report_sent", pledge.id, before, {
        "report_id": report.id, "stage": report.stage, "last_report_at": now,
        "share_delivered": report.share_delivered})
    plan_reminders(pledge)
    events.progress_report_sent(pledge, report)
    return report
