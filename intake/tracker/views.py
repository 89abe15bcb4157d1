"""The city's status tracker: a private link (same rules as the resume link) to the pledge's
state, its public timeline and any open questions; the city can answer and withdraw."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db, token_page_limit
from ..models import InformationRequest, StatusChange
from ..pledges import actions, links, status
from ..web.errors import NO_CACHE_NO_REFERRER, error_page
from ..web.htmx import render
from .forms import AnswerForm, WithdrawForm

bp = Blueprint("tracker", __name__)
STOP_POLLING = 286  # htmx stops polling on this status


def public_timeline(pledge):
    return db.session.scalars(select(StatusChange).where(StatusChange.pledge_id == pledge.id)
                              .order_by(StatusChange.at.desc())).all()


def open_questions(pledge):
    return db.session.scalars(select(InformationRequest).where(
        InformationRequest.pledge_id == pledge.id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.requested_at)).all()


def render_tracker(token, pledge, answer_forms=None, withdraw_form=None, code=200):
    questions = open_questions(pledge)
    answer_forms = answer_forms or {}
    for question in questions:
        answer_forms.setdefault(question.id, AnswerForm(formdata=None, prefix=f"q{question.id}"))
    return render_template(
        "tracker/track.html", token=token, pledge=pledge,
        timeline=public_timeline(pledge), questions=questions, answer_forms=answer_forms,
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        can_withdraw=pledge.review_state in status.CITY_WITHDRAWS_FROM,
        final=status.is_final(pledge.review_state, pledge.implementation_stage)), code, \
        NO_CACHE_NO_REFERRER


@bp.get("/track/<token>")
@token_page_limit
def track(token):
    """Reading only: mail scanners open links too."""
    pledge = links.pledge_for_token(token)
    if pledge.review_state == "draft":
        return redirect(url_for("intake.resume", token=token))
    return render_tracker(token, pledge)


@bp.get("/track/<token>/status", endpoint="status")
@token_page_limit
def status_panel(token):
    """The status panel, polled by htmx while a change is expected."""
    pledge = links.pledge_for_token(token)
    final = status.is_final(pledge.review_state, pledge.implementation_stage)
    response = render("tracker/track.html", "tracker/_status.html",
                      status=STOP_POLLING if final else 200, token=token, pledge=pledge,
                      final=final)
    response.headers["Cache-Control"] = "no-store"
    return response


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
    actions.answer_information(pledge, question, form.answer.data)
    db.session.commit()
    flash(_("Thank you: your answer was sent to the coordinators."))
    return redirect(url_for("tracker.track", token=token), code=303)


@bp.post("/track/<token>/withdraw")
@token_page_limit
def withdraw(token):
    pledge = links.pledge_for_token(token)
    form = WithdrawForm()
    if not form.validate():
        return render_tracker(token, pledge, withdraw_form=form, code=422)
    try:
        actions.withdraw(pledge, form.reason.data)
        db.session.commit()
    except status.TransitionRefused as refused:
        db.session.rollback()
        flash(str(refused))
        return redirect(url_for("tracker.track", token=token), code=303)
    flash(_("Your pledge has been withdrawn."))
    return redirect(url_for("tracker.track", token=token), code=303)


def rerender_when_too_many(problem):
    """An answer or a withdrawal refused by the rate limit: the tracker again, with what was
    typed in the form that was sent."""
    if request.blueprint != "tracker" or request.method != "POST":
        return None
    token = request.view_args["token"]
    try:
        pledge = links.pledge_for_token(token)
    except links.TokenProblem:
        return None
    flash(problem)
    if request.endpoint == "tracker.answer":
        prefix = f"q{request.view_args['request_id']}"
        return render_tracker(token, pledge, code=429, answer_forms={
            request.view_args["request_id"]: AnswerForm(prefix=prefix)})
    return render_tracker(token, pledge, withdraw_form=WithdrawForm(), code=429)
