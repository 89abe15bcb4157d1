"""The city's status tracker: a private link (same rules as the resume link) to the pledge's
state, its public timeline, its progress reports and any open questions; the city can answer,
report progress (report_views.py) and withdraw (on a page of its own)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db, token_page_limit
from ..models import InformationRequest, StatusChange
from ..pledges import actions, links, progress, status
from ..web.errors import error_page, error_summary
from ..web.htmx import render
from ..web.i18n import switch_returns_to
from .forms import AnswerForm, StopOtherLinksForm, WithdrawForm

bp = Blueprint("tracker", __name__)
STOP_POLLING = 286  # htmx stops polling on this status


def public_timeline(pledge):
    return db.session.scalars(select(StatusChange).where(StatusChange.pledge_id == pledge.id)
                              .order_by(StatusChange.at.desc())).all()


def open_questions(pledge):
    return db.session.scalars(select(InformationRequest).where(
        InformationRequest.pledge_id == pledge.id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.requested_at)).all()


def render_tracker(token, pledge, answer_forms=None, code=200):
    questions = open_questions(pledge)
    answer_forms = answer_forms or {}
    for question in questions:
        answer_forms.setdefault(question.id, AnswerForm(formdata=None, prefix=f"q{question.id}"))
    reports = progress.sent_reports(pledge.id)
    switch_returns_to(url_for("tracker.track", token=token))  # after a failed answer too
    return render_template(
        "tracker/track.html", token=token, pledge=pledge,
        timeline=public_timeline(pledge), questions=questions, answer_forms=answer_forms,
        reports=reports, reports_by_id={report.id: report for report in reports},
        may_report=pledge.review_state in status.REPORT_PROGRESS_FROM,
        draft_report=progress.open_draft(pledge),
        stop_links_form=StopOtherLinksForm(formdata=None),
        can_withdraw=pledge.review_state in status.CITY_WITHDRAWS_FROM,
        final=status.is_final(pledge.review_state, pledge.implementation_stage)), code


def render_withdrawal(token, pledge, form=None, code=200):
    switch_returns_to(url_for("tracker.withdrawal", token=token))
    return render_template("tracker/withdraw.html", token=token, pledge=pledge,
                           form=form or WithdrawForm(formdata=None),
                           **error_summary(form)), code


@bp.get("/track/<token>")
@token_page_limit
def track(token):
    """Reading only: mail scanners open links too."""
    pledge = links.pledge_for_token(token)
    if pledge.review_state == "draft":
        return redirect(url_for("intake.resume", token=token))
    return render_tracker(token, pledge)


@bp.get("/track/<token>/answers", endpoint="answers")
@token_page_limit
def answers_page(token):
    """Every answer the city sent, to read again or print (reading only)."""
    pledge = links.pledge_for_token(token)
    if pledge.review_state == "draft":
        return redirect(url_for("intake.resume", token=token))
    return render_template("tracker/answers.html", token=token, pledge=pledge)


@bp.get("/track/<token>/status", endpoint="status")
@token_page_limit
def status_panel(token):
    """The status panel, polled by htmx while a change is expected."""
    pledge = links.pledge_for_token(token)
    final = status.is_final(pledge.review_state, pledge.implementation_stage)
    return render("tracker/track.html", "tracker/_status.html",
                  status=STOP_POLLING if final else 200, token=token, pledge=pledge,
                  final=final)


@bp.post("/track/<token>/questions/<int:request_id>")
@token_page_limit
def answer(token, request_id):
    pledge = links.pledge_for_token(token)
    question = db.session.get(InformationRequest, request_id)
    if question is None or question.pledge_id != pledge.id:
        return error_page(404)
    form = AnswerForm(prefix=f"q{question.id}")
    if question.answered_at is not None:
        flash(_("This question was already answered."))
        return redirect(url_for("tracker.track", token=token), code=303)
    if not form.validate():
        return render_tracker(token, pledge, answer_forms={question.id: form}, code=422)
    try:
        actions.answer_information(pledge, question, form.answer.data)
        db.session.commit()
    except StaleDataError:  # the pledge changed meanwhile: a second click, or a coordinator
        db.session.rollback()
        question = db.session.get(InformationRequest, request_id)
        if question.answered_at is None:
            flash(_("The pledge changed while you were answering. Your answer was not sent: "
                    "check the page as it is now, then send it again."))
            return render_tracker(token, links.pledge_for_token(token),
                                  answer_forms={question.id: form}, code=409)
        flash(_("This question was already answered."))
        return redirect(url_for("tracker.track", token=token), code=303)
    flash(_("Thank you: your answer was sent to the coordinators."))
    return redirect(url_for("tracker.track", token=token), code=303)


@bp.get("/track/<token>/withdraw", endpoint="withdrawal")
@token_page_limit
def withdrawal(token):
    """What withdrawing means, and the form to confirm it (reading only)."""
    pledge = links.pledge_for_token(token)
    if pledge.review_state not in status.CITY_WITHDRAWS_FROM:
        return redirect(url_for("tracker.track", token=token))
    return render_withdrawal(token, pledge)


@bp.post("/track/<token>/withdraw")
@token_page_limit
def withdraw(token):
    pledge = links.pledge_for_token(token)
    form = WithdrawForm()
    if not form.validate():
        return render_withdrawal(token, pledge, form, code=422)
    try:
        actions.withdraw(pledge, form.reason.data)
        db.session.commit()
    except status.TransitionRefused as refused:
        db.session.rollback()
        if pledge.review_state != "withdrawn":
            flash(str(refused))
        else:  # a second click: the first one withdrew it
            flash(_("Your pledge has been withdrawn."))
        return redirect(url_for("tracker.track", token=token), code=303)
    except StaleDataError:  # the pledge changed meanwhile: a second click, or a coordinator
        db.session.rollback()
        if links.pledge_for_token(token).review_state != "withdrawn":
            flash(_("The pledge changed while you were withdrawing it, so it was not "
                    "withdrawn: check the page as it is now, then try again."))
        else:
            flash(_("Your pledge has been withdrawn."))
        return redirect(url_for("tracker.track", token=token), code=303)
    flash(_("Your pledge has been withdrawn."))
    return redirect(url_for("tracker.track", token=token), code=303)


@bp.post("/track/<token>/stop-other-links")
def stop_other_links(token):
    """Every private link to the pledge but this one stops working (any browser working on the
    pledge through another one loses it too)."""
    pledge = links.pledge_for_token(token)
    if not StopOtherLinksForm().validate():  # only its security token, which CSRFProtect checked
        abort(400)
    stopped = actions.stop_other_links(pledge, token)
    db.session.commit()
    if stopped:
        flash(ngettext("%(num)d other private link has stopped working. This one still works.",
                       "%(num)d other private links have stopped working. This one still "
                       "works.", stopped))
    else:
        flash(_("There was no other private link to stop. This one still works."))
    return redirect(url_for("tracker.track", token=token), code=303)


def posted_pledge(endpoints=None):
    """(token, pledge) of a POST to the tracker (to one of these endpoints, if given), or None
    (another request, or a link that does not work): for what answers such a post refused."""
    if request.blueprint != "tracker" or request.method != "POST":
        return None
    if endpoints is not None and request.endpoint not in endpoints:
        return None
    token = request.view_args["token"]
    try:
        return token, links.pledge_for_token(token)
    except links.TokenProblem:
        return None


def rerender_when_too_many(problem):
    """An answer or a withdrawal refused by the rate limit: the tracker again, with what was
    typed in the form that was sent."""
    posted = posted_pledge()
    if posted is None:
        return None
    token, pledge = posted
    flash(problem)
    if request.endpoint == "tracker.answer":
        prefix = f"q{request.view_args['request_id']}"
        return render_tracker(token, pledge, code=429, answer_forms={
            request.view_args["request_id"]: AnswerForm(prefix=prefix)})
    if request.endpoint == "tracker.withdraw":
        return render_withdrawal(token, pledge, WithdrawForm(), code=429)
    return render_tracker(token, pledge, code=429)
