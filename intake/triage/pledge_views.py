"""A pledge's page for coordinators: every answer, the timeline, and the actions."""
from difflib import SequenceMatcher
from functools import partial

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from ..accounts.access import may_change, signed_in
from ..clock import as_utc
from ..extensions import db
from ..models import (
    AuditEntry,
    Coordinator,
    InboundMessage,
    InformationRequest,
    Note,
    OutboxEmail,
    Pledge,
    StatusChange,
)
from ..pledges import actions, progress, status
from ..pledges.audit import coordinator_actor
from ..web.fields import options
from . import bp
from .forms import (
    AssignForm,
    InformationRequestForm,
    MergeForm,
    NoteForm,
    ReportNoteForm,
    ReportQuestionForm,
    StageForm,
    StateForm,
    report_form_prefix,
)
from .queue_rows import pledge_update

SIMILAR_TITLE = 0.6


def sent_pledge_or_404(pledge_id):
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.review_state == "draft":
        abort(404)
    return pledge


def duplicates_of(pledge):
    """Same city and country, and a similar title: probably the same pledge sent twice."""
    if not pledge.city:
        return []
    candidates = db.session.scalars(select(Pledge).where(
        func.lower(Pledge.city) == pledge.city.lower(), Pledge.country_code == pledge.country_code,
        Pledge.id != pledge.id, Pledge.review_state.not_in(["draft", "merged"])))
    title = (pledge.title or "").casefold()
    return [c for c in candidates
            if SequenceMatcher(None, title, (c.title or "").casefold()).ratio() >= SIMILAR_TITLE]


def timeline(pledge, reports):
    """Everything that happened, newest first: state changes, progress reports, emails, notes,
    questions, emails received."""
    events = [(report.sent_at, "report", report) for report in reports]
    for change in db.session.scalars(select(StatusChange).filter_by(pledge_id=pledge.id)):
        events.append((change.at, "change", change))
    for email in db.session.scalars(select(OutboxEmail).filter_by(pledge_id=pledge.id)):
        events.append((email.created_at, "email", email))
    for note in db.session.scalars(select(Note).filter_by(pledge_id=pledge.id)):
        events.append((note.created_at, "note", note))
    for asked in db.session.scalars(select(InformationRequest).filter_by(pledge_id=pledge.id)):
        events.append((asked.requested_at, "question", asked))
        if asked.answered_at and asked.answer:
            events.append((asked.answered_at, "answer", asked))
    for entry in db.session.scalars(select(AuditEntry).where(
            AuditEntry.pledge_id == pledge.id,
            AuditEntry.action.in_(["assigned", "unassigned"]))):
        events.append((entry.at, "audit", entry))
    for message in db.session.scalars(select(InboundMessage).filter_by(pledge_id=pledge.id)):
        events.append((message.sent_at or message.received_at, "inbound", message))
    return sorted(events, key=lambda event: as_utc(event[0]), reverse=True)


def coordinators():
    return db.session.scalars(select(Coordinator).where(
        Coordinator.active.is_(True), Coordinator.role != "partner")
        .order_by(Coordinator.email)).all()


REPORT_FORMS = {"note": ReportNoteForm, "question": ReportQuestionForm}


def report_form_name(kind, report_id):
    return f"report_{kind}_{report_id}"


def report_forms(reports, version):
    """A comment form and a question form for each sent report."""
    return {report_form_name(kind, report.id): form_class(
        formdata=None, data=version, prefix=report_form_prefix(kind, report.id))
        for report in reports for kind, form_class in REPORT_FORMS.items()}


def build_forms(pledge, posted=None, reports=()):
    """The page's forms; the one that was posted keeps what was typed and its errors."""
    version = {"version": str(pledge.version)}
    forms = {
        **report_forms(reports, version),
        "assign": AssignForm(formdata=None, data={**version,
                                                  "assignee": str(pledge.assignee_id or "")}),
        "state": StateForm(formdata=None, data=version),
        "information": InformationRequestForm(formdata=None, data=version),
        "note": NoteForm(formdata=None, data=version),
        "stage": StageForm(formdata=None, data=version),
        "merge": MergeForm(formdata=None, data=version),
    }
    if posted:
        forms.update(posted)
    fill_choices(forms, pledge)
    return forms


def fill_choices(forms, pledge):
    forms["assign"].assignee.choices = options(
        [("", _("Nobody")), *((str(c.id), c.display_name) for c in coordinators())])
    # No state chosen beforehand: one click must not change the state and email the city.
    forms["state"].target.choices = options(
        [("", _("Choose a state"))] + [(state, status.review_label(state)) for state in
                                       status.allowed_review_moves(pledge.review_state)])
    forms["stage"].stage.choices = options(
        [(stage, status.stage_label(stage)) for stage in
         sorted(status.STAGE_MOVES.get(pledge.implementation_stage or "planning", set()),
                key=list(status.IMPLEMENTATION_STAGES).index)])
    forms["merge"].original.choices = options(
        [(str(p.id), f"{p.reference} – {p.city}: {p.title}") for p in duplicates_of(pledge)])


def render_page(pledge, forms=None, code=200, problem=None):
    reports = progress.sent_reports(pledge.id)
    shown = build_forms(pledge, reports=reports)
    shown.update(forms or {})  # the form that was posted, as it was
    last_report, update_badges = pledge_update(pledge)
    return render_template(
        "triage/pledge.html", pledge=pledge, forms=shown, events=timeline(pledge, reports),
        last_report=last_report, update_badges=update_badges,
        reports_by_id={report.id: report for report in reports},
        report_form_name=report_form_name, duplicates=duplicates_of(pledge), problem=problem,
        may_request_information=status.may_ask_city(pledge.review_state),
        may_merge=pledge.review_state in status.MERGE_FROM,
        can_change=current_user.can_change), code


@bp.get("/pledges/<int:pledge_id>")
@signed_in
def pledge(pledge_id):
    return render_page(sent_pledge_or_404(pledge_id))



def conflict_message():
    return _("Someone else changed this pledge while you were looking at it. Nothing was "
             "saved: check the page as it is now, then try again.")


def act(pledge_id, form_name, form_class, action):
    """Validate the posted form, check the version, run the action, commit; or show why not."""
    pledge = sent_pledge_or_404(pledge_id)
    form = form_class()
    fill_choices({**build_forms(pledge), form_name: form}, pledge)
    if form.version.data and form.version.data != str(pledge.version):
        # Checked first: the page the coordinator saw (and its choices) is out of date.
        return render_page(pledge, build_forms(pledge, {form_name: form}), code=409,
                           problem=conflict_message())
    if not form.validate():
        return render_page(pledge, build_forms(pledge, {form_name: form}), code=422)
    try:
        done = action(pledge, form, coordinator_actor(current_user))
        db.session.commit()
    except status.TransitionRefused as refused:
        db.session.rollback()
        return render_page(pledge, build_forms(pledge, {form_name: form}), code=422,
                           problem=str(refused))
    except StaleDataError:
        db.session.rollback()
        pledge = sent_pledge_or_404(pledge_id)
        return render_page(pledge, build_forms(pledge, {form_name: form}), code=409,
                           problem=conflict_message())
    flash(done)
    return redirect(url_for("triage.pledge", pledge_id=pledge_id), code=303)


@bp.post("/pledges/<int:pledge_id>/assign")
@may_change
def assign(pledge_id):
    def action(pledge, form, actor):
        assignee = db.session.get(Coordinator, int(form.assignee.data)) \
            if form.assignee.data else None
        actions.assign(pledge, assignee, actor)
        return _("Assigned to %(name)s.", name=assignee.display_name) if assignee \
            else _("Nobody is assigned now.")
    return act(pledge_id, "assign", AssignForm, action)


@bp.post("/pledges/<int:pledge_id>/state")
@may_change
def change_state(pledge_id):
    def action(pledge, form, actor):
        actions.change_review_state(pledge, form.target.data, actor, form.message.data)
        return _("The pledge is now “%(state)s”.", state=status.review_label(form.target.data))
    return act(pledge_id, "state", StateForm, action)


@bp.post("/pledges/<int:pledge_id>/request-information")
@may_change
def request_information(pledge_id):
    def action(pledge, form, actor):
        actions.request_information(pledge, form.questions.data, actor)
        return _("Your questions were sent to the city.")
    return act(pledge_id, "information", InformationRequestForm, action)


@bp.post("/pledges/<int:pledge_id>/notes")
@may_change
def add_note(pledge_id):
    def action(pledge, form, actor):
        actions.add_note(pledge, form.body.data, actor)
        return _("Note added.")
    return act(pledge_id, "note", NoteForm, action)


def sent_report_or_404(pledge, report_id):
    report = progress.report_of_pledge(pledge, report_id)
    if report is None:
        abort(404)
    return report


def act_on_report(pledge_id, report_id, kind, action):
    """A form of one report on the timeline (its own prefix), through act()."""
    sent_report_or_404(sent_pledge_or_404(pledge_id), report_id)
    form_class = partial(REPORT_FORMS[kind], prefix=report_form_prefix(kind, report_id))
    return act(pledge_id, report_form_name(kind, report_id), form_class, action)


@bp.post("/pledges/<int:pledge_id>/reports/<int:report_id>/note")
@may_change
def comment_report(pledge_id, report_id):
    def action(pledge, form, actor):
        report = sent_report_or_404(pledge, report_id)
        actions.add_note(pledge, form.body.data, actor, report=report)
        return _("Comment added to the report of %(date)s.",
                 date=report.sent_at.strftime("%Y-%m-%d"))
    return act_on_report(pledge_id, report_id, "note", action)


@bp.post("/pledges/<int:pledge_id>/reports/<int:report_id>/question")
@may_change
def ask_about_report(pledge_id, report_id):
    def action(pledge, form, actor):
        report = sent_report_or_404(pledge, report_id)
        actions.request_information(pledge, form.questions.data, actor, report=report)
        return _("Your questions were sent to the city.")
    return act_on_report(pledge_id, report_id, "question", action)


@bp.post("/pledges/<int:pledge_id>/stage")
@may_change
def change_stage(pledge_id):
    def action(pledge, form, actor):
        actions.change_stage(pledge, form.stage.data, form.narrative.data, actor)
        return _("The implementation stage is now “%(stage)s”.",
                 stage=status.stage_label(form.stage.data))
    return act(pledge_id, "stage", StageForm, action)


@bp.post("/pledges/<int:pledge_id>/merge")
@may_change
def merge(pledge_id):
    def action(pledge, form, actor):
        original = sent_pledge_or_404(int(form.original.data))
        actions.merge(pledge, original, actor)
        return _("Merged into %(reference)s.", reference=original.reference)
    return act(pledge_id, "merge", MergeForm, action)
