"""The city's status tracker: a private link (same rules as the resume link) to the pledge's
state, its public timeline and any open questions; the city can answer and withdraw."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from . import pledges, review, triage_actions
from .extensions import db
from .forms import plain_text, strip
from .htmx import render
from .models import InformationRequest, StatusChange

bp = Blueprint("tracker", __name__)
STOP_POLLING = 286  # htmx stops polling on this status


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer"), filters=[strip],
        validators=[plain_text, DataRequired(message=_l("Write your answer.")),
                    Length(max=8000, message=_l("Use %(max)d characters or fewer.", max=8000))],
        render_kw={"maxlength": 8000, "rows": 6})


class WithdrawForm(FlaskForm):
    confirm = BooleanField(_l("Yes, withdraw this pledge"),
                           validators=[DataRequired(message=_l(
                               "Tick the box to confirm that you want to withdraw."))])
    reason = TextAreaField(
        _l("Why are you withdrawing it? (optional)"), filters=[strip],
        validators=[plain_text, Optional(),
                    Length(max=2000, message=_l("Use %(max)d characters or fewer.", max=2000))],
        render_kw={"maxlength": 2000, "rows": 3})


def pledge_or_problem(token):
    try:
        return pledges.pledge_for_token(token), None
    except pledges.TokenProblem as problem:
        status = 410 if problem.reason == "expired" else 404
        return None, (render_template("intake/link_problem.html", reason=problem.reason), status)


def public_timeline(pledge):
    return db.session.scalars(select(StatusChange).where(StatusChange.pledge_id == pledge.id)
                              .order_by(StatusChange.at.desc())).all()


def open_questions(pledge):
    return db.session.scalars(select(InformationRequest).where(
        InformationRequest.pledge_id == pledge.id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.requested_at)).all()


def render_tracker(token, pledge, answer_forms=None, withdraw_form=None, status=200):
    questions = open_questions(pledge)
    answer_forms = answer_forms or {}
    for question in questions:
        answer_forms.setdefault(question.id, AnswerForm(formdata=None, prefix=f"q{question.id}"))
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    return render_template(
        "tracker/track.html", token=token, pledge=pledge, review=review,
        timeline=public_timeline(pledge), questions=questions, answer_forms=answer_forms,
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        can_withdraw=pledge.review_state in review.CITY_WITHDRAWS_FROM,
        final=review.is_final(pledge.review_state, pledge.implementation_stage)), status, headers


@bp.get("/track/<token>")
def track(token):
    """Reading only: mail scanners open links too."""
    pledge, problem = pledge_or_problem(token)
    if problem:
        return problem
    if pledge.review_state == "draft":
        return redirect(url_for("intake.resume", token=token))
    return render_tracker(token, pledge)


@bp.get("/track/<token>/status")
def status(token):
    """The status panel, polled by htmx while a change is expected."""
    pledge, problem = pledge_or_problem(token)
    if problem:
        return problem
    final = review.is_final(pledge.review_state, pledge.implementation_stage)
    response = render("tracker/track.html", "tracker/_status.html",
                      status=STOP_POLLING if final else 200, token=token, pledge=pledge,
                      review=review, final=final)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/track/<token>/questions/<int:request_id>")
def answer(token, request_id):
    pledge, problem = pledge_or_problem(token)
    if problem:
        return problem
    question = db.session.get(InformationRequest, request_id)
    if question is None or question.pledge_id != pledge.id:
        return render_template("errors/error.html", code=404, title=_("Page not found")), 404
    form = AnswerForm(prefix=f"q{question.id}")
    if question.answered_at is not None:
        flash(_("This question was already answered."))
        return redirect(url_for("tracker.track", token=token), code=303)
    if not form.validate():
        return render_tracker(token, pledge, answer_forms={question.id: form}, status=422)
    triage_actions.answer_information(pledge, question, form.answer.data)
    db.session.commit()
    flash(_("Thank you: your answer was sent to the coordinators."))
    return redirect(url_for("tracker.track", token=token), code=303)


@bp.post("/track/<token>/withdraw")
def withdraw(token):
    pledge, problem = pledge_or_problem(token)
    if problem:
        return problem
    form = WithdrawForm()
    if not form.validate():
        return render_tracker(token, pledge, withdraw_form=form, status=422)
    try:
        triage_actions.withdraw(pledge, form.reason.data)
        db.session.commit()
    except review.TransitionRefused as refused:
        db.session.rollback()
        flash(str(refused))
        return redirect(url_for("tracker.track", token=token), code=303)
    flash(_("Your pledge has been withdrawn."))
    return redirect(url_for("tracker.track", token=token), code=303)
