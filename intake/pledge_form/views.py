"""The guided pledge form for city contacts: no account, a private link to come back."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from . import countries, notifications, pledges, reference, triage_actions
from .extensions import db
from .forms import STEP_FORMS, EmailLinkForm, ReviewForm, long_list, options
from .htmx import redirect_after_post, render, wants_partial
from .models import Pledge, utcnow
from .step_answers import answers_for_form, save_answers

bp = Blueprint("intake", __name__)


# --- the draft this browser is working on ----------------------------------


def current_pledge():
    pledge_id = session.get("pledge_id")
    return db.session.get(Pledge, pledge_id) if pledge_id else None


def remember_pledge(pledge, raw_token):
    session.permanent = True
    session["pledge_id"] = pledge.id
    session["resume_token"] = raw_token


def resume_url(raw_token):
    return current_app.config["BASE_URL"] + url_for("intake.resume", token=raw_token)


def step_url(step):
    if step is pledges.REVIEW_STEP:
        return url_for("intake.review")
    return url_for("intake.step", slug=step.slug)


# --- form helpers ------------------------------------------------------------


def language():
    return str(get_locale() or "en")


def fill_choices(form):
    """Choices that depend on the reader's language are set per request."""
    lang = language()
    if "country" in form:
        country_options = options([("", _("Choose a country")), *countries.country_choices()])
        for field in [form.country, *(entry.form.country for entry in form.co_cities)]:
            long_list(field, ("country", lang), country_options)
    if "budget_currency" in form:
        long_list(form.budget_currency, ("currency", lang),
                  options([("", _("Choose a currency")), *countries.currency_choices()]))


def error_list(form):
    """(anchor id, message) for every error, in page order, nested rows included."""
    found = []
    for field in form:
        if field.type == "FieldList":
            for entry in field:
                found.extend(error_list(entry.form))
        elif field.errors:
            messages = field.errors if isinstance(field.errors, list) else []
            anchor = f"{field.id}-0" if field.type in {"RadioField", "CheckboxesField"} \
                else field.id
            if field.type == "CSRFTokenField":
                anchor = "error-summary"
            found.extend((anchor, message) for message in messages[:1])
    return found


def render_step(step, pledge, form, status=200, problem=None, push=False, return_to=None):
    fill_choices(form)
    errors = error_list(form)
    return render(
        "intake/step.html",
        "intake/_step.html",
        status=status,
        push_url=step_url(step) if push else None,
        step=step,
        steps=pledges.STEPS,
        pledge=pledge,
        form=form,
        errors=errors,
        first_error=errors[0][0] if errors else None,
        problem=problem,
        return_to=return_to,
        reference=reference,
    )


def form_for_get(step, pledge):
    """The step's form filled from what was saved; never from the request, which during an
    htmx post holds the previous step's answers."""
    return STEP_FORMS[step.slug](formdata=None,
                                 data=answers_for_form(step.slug, pledge, language()))


def go_to(step, pledge):
    """After a saved step: htmx gets the next page in the same response; a plain post a 303."""
    if not wants_partial():
        return redirect(step_url(step), code=303)
    if step is pledges.REVIEW_STEP:
        return render_review(pledge, ReviewForm(formdata=None), push=True)
    return render_step(step, pledge, form_for_get(step, pledge), push=True)


def change_rows(form, action):
    """The add-a-city and remove-a-city buttons of a joint pledge, without validating."""
    if action == "add_city" and len(form.co_cities) < form.co_cities.max_entries:
        form.co_cities.append_entry()
        return True
    if action.startswith("remove_city:"):
        index = action.partition(":")[2]
        form.co_cities.entries = [e for e in form.co_cities.entries
                                  if e.id != f"co_cities-{index}"]
        return True
    return False


# --- pages -------------------------------------------------------------------


@bp.get("/pledge")
def start():
    return render_template("intake/start.html", pledge=current_pledge(), steps=pledges.STEPS)


@bp.post("/pledge/new")
def new_pledge():
    """Forget the pledge this browser was working on (it stays reachable by its link)."""
    session.pop("pledge_id", None)
    session.pop("resume_token", None)
    return redirect_after_post(url_for("intake.step", slug="city"))


@bp.route("/pledge/step/<slug>", methods=["GET", "POST"])
def step(slug):
    step = pledges.STEPS_BY_SLUG.get(slug)
    if step is None or step is pledges.REVIEW_STEP:
        abort(404)
    pledge = current_pledge()
    if pledge is not None and not pledges.is_editable(pledge):
        return redirect(url_for("intake.confirmation"))
    if not pledges.can_open_step(pledge, step.number):
        flash(_("Please answer the questions in order: this is the next step to complete."))
        return redirect(step_url(pledges.next_step_to_complete(pledge)))
    return_to = request.values.get("return") if request.values.get("return") == "review" else None

    if request.method == "GET":
        return render_step(step, pledge, form_for_get(step, pledge), return_to=return_to)

    form = STEP_FORMS[slug]()
    fill_choices(form)
    action = request.form.get("action", "continue")
    if slug == "city" and change_rows(form, action):
        return render_step(step, pledge, form, return_to=return_to)
    if not form.validate():
        return render_step(step, pledge, form, status=422, return_to=return_to)
    return save_step(step, pledge, form, action, return_to)


def save_step(step, pledge, form, action, return_to):
    created = pledge is None
    try:
        if created:
            pledge = Pledge(language=language())
            db.session.add(pledge)
        save_answers(step.slug, form, pledge)
        pledges.record_step_saved(pledge, step.number)
        notifications.contact_acted(pledge, utcnow())
        raw_token = None
        if created:
            raw_token = pledges.issue_access_token(
                pledge, current_app.config["RESUME_TOKEN_LIFETIME"])
            notifications.draft_started(pledge)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Could not save step %s", step.slug)
        problem = _("We could not save your answers just now. Nothing you typed is lost: "
                    "please try again in a moment.")
        return render_step(step, None if created else pledge, form, status=503, problem=problem,
                           return_to=return_to)
    if created:
        remember_pledge(pledge, raw_token)
    if action == "save_exit":
        return redirect_after_post(url_for("intake.saved"))
    if return_to == "review" and pledges.can_open_step(pledge, pledges.REVIEW_STEP.number):
        return go_to(pledges.REVIEW_STEP, pledge)
    return go_to(pledges.step_by_number(step.number + 1), pledge)


@bp.get("/pledge/saved")
def saved():
    pledge = current_pledge()
    if pledge is None:
        return redirect(url_for("intake.start"))
    raw_token = session.get("resume_token")
    return render_template(
        "intake/saved.html",
        pledge=pledge,
        link=resume_url(raw_token) if raw_token else None,
        next_step=pledges.next_step_to_complete(pledge),
        lifetime_days=current_app.config["RESUME_TOKEN_LIFETIME"].days,
    )


@bp.post("/pledge/saved/new-link")
def new_link():
    """A fresh private link for the draft in this browser (the old ones keep working)."""
    pledge = current_pledge()
    if pledge is None:
        return redirect(url_for("intake.start"), code=303)
    raw_token = pledges.issue_access_token(pledge, current_app.config["RESUME_TOKEN_LIFETIME"])
    db.session.commit()
    session["resume_token"] = raw_token
    return redirect_after_post(url_for("intake.saved"))


def render_review(pledge, form, status=200, push=False):
    errors = error_list(form)
    return render(
        "intake/review.html",
        "intake/_review.html",
        status=status,
        push_url=url_for("intake.review") if push else None,
        step=pledges.REVIEW_STEP,
        steps=pledges.STEPS,
        pledge=pledge,
        form=form,
        errors=errors,
        first_error=errors[0][0] if errors else None,
        pledges=pledges,
        reference=reference,
        countries=countries,
    )


@bp.route("/pledge/review", methods=["GET", "POST"])
def review():
    pledge = current_pledge()
    if pledge is not None and not pledges.is_editable(pledge):
        return redirect(url_for("intake.confirmation"))
    if not pledges.can_open_step(pledge, pledges.REVIEW_STEP.number):
        flash(_("Please answer the questions in order: this is the next step to complete."))
        return redirect(step_url(pledges.next_step_to_complete(pledge)))
    if request.method == "GET":
        return render_review(pledge, ReviewForm(formdata=None))
    form = ReviewForm()
    if not form.validate():
        return render_review(pledge, form, status=422)
    missing = pledges.missing_answers(pledge)
    if missing:
        flash(_("Some answers are missing. Please complete this step."))
        return redirect_after_post(step_url(missing[0]))
    pledge.consent_contact = form.consent_contact.data
    pledge.consent_publish = form.consent_publish.data
    now = utcnow()
    pledges.submit(pledge, current_app.config["REFERENCE_PREFIX"], now)
    triage_actions.record_submission(pledge, now)
    notifications.contact_acted(pledge, now)
    notifications.pledge_submitted(pledge)
    db.session.commit()
    return redirect_after_post(url_for("intake.confirmation"))


@bp.get("/pledge/confirmation")
def confirmation():
    pledge = current_pledge()
    if pledge is None or pledges.is_editable(pledge):
        return redirect(url_for("intake.start"))
    return render_template(
        "intake/confirmation.html",
        pledge=pledge,
        state_label=pledges.REVIEW_STATE_LABELS[pledge.review_state],
    )


@bp.route("/pledge/email-my-link", methods=["GET", "POST"])
def email_my_link():
    """Answered the same way whether or not the address is known: it reveals nothing."""
    form = EmailLinkForm()
    if request.method == "POST" and form.validate():
        notifications.link_requested(form.email.data, utcnow())
        db.session.commit()
        return render_template("intake/link_requested.html", address=form.email.data)
    errors = error_list(form)
    status = 422 if request.method == "POST" else 200
    return render_template("intake/email_my_link.html", form=form, errors=errors,
                           first_error=errors[0][0] if errors else None), status


# --- coming back through a private link -------------------------------------


def pledge_from_link(token):
    try:
        return pledges.pledge_for_token(token), None
    except pledges.TokenProblem as problem:
        return None, problem.reason


def link_problem_page(reason):
    status = 410 if reason == "expired" else 404
    return render_template("intake/link_problem.html", reason=reason), status


@bp.get("/resume/<token>")
def resume(token):
    """Shows where the pledge stands. A GET changes nothing: mail scanners open links too."""
    pledge, reason = pledge_from_link(token)
    if pledge is None:
        return link_problem_page(reason)
    if not pledges.is_editable(pledge):
        return redirect(url_for("tracker.track", token=token))
    response = render_template(
        "intake/resume.html",
        pledge=pledge,
        token=token,
        next_step=pledges.next_step_to_complete(pledge),
        state_label=pledges.REVIEW_STATE_LABELS.get(pledge.review_state),
    )
    return response, 200, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.post("/resume/<token>")
def continue_from_link(token):
    pledge, reason = pledge_from_link(token)
    if pledge is None:
        return link_problem_page(reason)
    remember_pledge(pledge, token)
    if not pledges.is_editable(pledge):
        return redirect(url_for("intake.confirmation"), code=303)
    return redirect(step_url(pledges.next_step_to_complete(pledge)), code=303)


def rerender_after_csrf_failure():
    """A step posted with a stale or missing security token: show the answers again, not lose them."""
    if request.endpoint != "intake.step" or request.method != "POST":
        return None
    step = pledges.STEPS_BY_SLUG.get(request.view_args.get("slug"))
    if step is None or step is pledges.REVIEW_STEP:
        return None
    pledge = current_pledge()
    if not pledges.can_open_step(pledge, step.number):
        return None
    form = STEP_FORMS[step.slug](meta={"csrf": False})
    problem = _("Your session had expired, so your answers were not saved yet. "
                "Check them and send the page again.")
    return render_step(step, pledge, form, status=400, problem=problem)
