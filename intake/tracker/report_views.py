"""The city reports progress on its accepted pledge, through the tracker's private link: a form
it can send, or save and come back to later (kept exactly as typed)."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from ..extensions import db, token_page_limit
from ..pledges import links, progress, status
from ..pledges.answers import answers_as_typed, anything_typed
from ..web.errors import error_summary
from ..web.htmx import redirect_after_post, render
from ..web.i18n import SWITCH_LANGUAGE, current_language, remember_language, switch_returns_to
from .forms import ReportForm, report_form_data
from .views import bp, posted_pledge

SAVE = "save"


def form_for_get(pledge):
    """The open draft as it was left (as typed, if it was saved incomplete), or a new form."""
    draft = progress.open_draft(pledge)
    if draft is None:
        return ReportForm(formdata=None, data={"form_key": progress.new_form_key(),
                                               "stage": pledge.implementation_stage})
    if draft.typed is not None:
        return ReportForm(formdata=MultiDict(
            [(name, value) for name, values in draft.typed.items() for value in values]
            + [("form_key", draft.form_key)]))
    return ReportForm(formdata=None, data=report_form_data(draft))


def render_report(token, pledge, form, code=200, problem=None, refused=None):
    """The report page (htmx: its form alone). A refusal by the rules shows beside its field."""
    if refused is not None and refused.field in form:
        form[refused.field].errors = [str(refused)]
    if not form.form_key.data:
        form.form_key.data = progress.new_form_key()
    switch_returns_to(url_for("tracker.report", token=token), saves="report-form")
    return render("tracker/report.html", "tracker/_report_form.html", status=code,
                  token=token, pledge=pledge, form=form, problem=problem,
                  draft=progress.open_draft(pledge),
                  last_report=(progress.sent_reports(pledge.id) or [None])[0],
                  **error_summary(form))


def not_open_for_reports(token):
    flash(_("Progress is reported once a pledge is accepted."))
    return redirect(url_for("tracker.track", token=token), code=303)


def to_tracker(token, message):
    flash(message)
    return redirect_after_post(url_for("tracker.track", token=token))


def already_sent(token):
    return to_tracker(token, _("Your progress report was sent. Thank you."))


@bp.route("/track/<token>/report", methods=["GET", "POST"])
@token_page_limit
def report(token):
    """GET reads only (mail scanners open links too); a draft is made only by "Save"."""
    pledge = links.pledge_for_token(token)
    if pledge.review_state not in status.REPORT_PROGRESS_FROM:
        return not_open_for_reports(token)
    if request.method == "GET":
        return render_report(token, pledge, form_for_get(pledge))
    form = ReportForm()
    complete = form.validate()
    if request.form.get(SWITCH_LANGUAGE):
        return switch_language(token, pledge, form, complete)
    if request.form.get("action") == SAVE:
        return save_for_later(token, pledge, form, complete)
    if not complete:
        return render_report(token, pledge, form, code=422)
    return send(token, pledge, form)


def typed_report(form):
    typed = answers_as_typed(form)
    typed.pop("form_key", None)
    typed.pop("csrf_token", None)
    return typed


def keep_draft(token, pledge, form, complete):
    """Save the report as a draft (as typed, if incomplete): None, or the page that says it
    was sent meanwhile."""
    for attempt in (1, 2):  # a second save of a new draft at the same moment updates it
        try:
            progress.save_draft(pledge, form.answers(), None if complete else typed_report(form),
                                form.posted_key(), current_language())
            db.session.commit()
            return None
        except progress.AlreadySent:
            db.session.rollback()
            return already_sent(token)
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
            pledge = links.pledge_for_token(token)


def switch_language(token, pledge, form, complete):
    """A language button of the report page: the report is kept as a draft the way "Save and
    come back later" keeps it (if anything is typed, or a draft was saved before), then the
    page shows again in that language. An untouched page starts no draft."""
    remember_language(request.form.get(SWITCH_LANGUAGE))
    typed = typed_report(form)
    if typed.get("stage") == [pledge.implementation_stage]:
        del typed["stage"]  # as the page preset it: not an answer yet
    if anything_typed(typed) or progress.open_draft(pledge) is not None:
        sent_meanwhile = keep_draft(token, pledge, form, complete)
        if sent_meanwhile is not None:
            return sent_meanwhile
    return redirect_after_post(url_for("tracker.report", token=token))


def save_for_later(token, pledge, form, complete):
    if not anything_typed(typed_report(form)):
        problem = _("There is nothing to save yet: answer at least one question first.")
        return render_report(token, pledge, ReportForm(formdata=None, data={
            "form_key": form.posted_key(), "stage": pledge.implementation_stage}),
            code=422, problem=problem)
    sent_meanwhile = keep_draft(token, pledge, form, complete)
    if sent_meanwhile is not None:
        return sent_meanwhile
    return to_tracker(token, _(
        "Your report is saved as a draft. To finish it, come back to this page through the "
        "link you used, or the link in any email we send you: it will be as you left it."))


def send(token, pledge, form):
    key = form.posted_key()
    for attempt in (1, 2):
        try:
            progress.send_report(pledge, form.answers(), key, current_language())
            db.session.commit()
            return to_tracker(token, _("Thank you: your progress report was sent to the "
                                       "coordinators."))
        except progress.AlreadySent:
            db.session.rollback()
            return already_sent(token)
        except progress.ReportRefused as refused:
            db.session.rollback()
            return render_report(token, links.pledge_for_token(token), form, code=422,
                                 refused=refused)
        except (StaleDataError, IntegrityError):
            # Another request changed the pledge first (a second click, a coordinator, the
            # reminder sweep): sent again on the pledge as it is now, the outcome of coming
            # second. A second click then finds the report the first one sent.
            db.session.rollback()
            if attempt == 2:
                raise
            pledge = links.pledge_for_token(token)


def rerender_when_too_many(problem):
    """A report refused by the rate limit: the form again, with everything typed."""
    posted = posted_pledge(endpoints={"tracker.report"})
    if posted is None:
        return None
    token, pledge = posted
    return render_report(token, pledge, ReportForm(), code=429, problem=problem)
