"""The guided pledge form for city contacts: no account, a private link to come back."""
from functools import lru_cache
from typing import NamedTuple

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from ..catalogue import countries
from ..clock import utcnow
from ..email import events
from ..extensions import db, limit_from_config, token_page_limit
from ..pledges import links, steps, submission
from ..pledges.answers import (
    STEP_COLLECTIONS,
    answers_as_typed,
    answers_for_form,
    anything_typed,
    keep_step_for_later,
    save_step,
    typed_answers,
)
from ..pledges.summary import Answer, Section
from ..web import shared_fields
from ..web.errors import error_summary
from ..web.fields import long_list, options
from ..web.htmx import redirect_after_post, render, wants_partial
from ..web.human_check import HumanCheck, shown_at_stamp
from ..web.i18n import (
    SWITCH_LANGUAGE,
    current_language,
    remember_language,
    select_locale,
    switch_returns_to,
)
from ..web.paths import public_url
from ..web.shared_pages import SHARED_SESSION_KEYS, Fresh, shared_page
from ..web.templating import answer_sections
from . import unshown_links
from .forms import STEP_FORMS, CheckAnswersForm, EmailLinkForm

bp = Blueprint("intake", __name__)
# Pages whose GET only reads the draft: their queries need no transaction.
READ_ONLY_PAGES = frozenset({"intake.step", "intake.review"})
# What the session of a browser working on a draft holds besides what any visitor's does: the
# draft (remember_pledge), and Flask-Login's mark that a lasting session was not signed in
# just now, which it writes in any lasting session with no one signed in.
DRAFT_SESSION_KEYS = SHARED_SESSION_KEYS | {"pledge_id", "link_hash", "_fresh"}


# --- the draft this browser is working on ----------------------------------


def current_pledge():
    """The draft this browser works on: the session names it and the hash of a private link
    that must still open it (a link stopped from the tracker, or expired, ends that access)."""
    if "current_pledge" not in g:
        if "resume_token" in session:  # a session from before links were kept as hashes
            session["link_hash"] = links.hash_token(session.pop("resume_token"))
        g.current_pledge = links.pledge_for_link_hash(
            session.get("pledge_id"), session.get("link_hash"), collections=collections_shown(),
            read_only=request.method == "GET" and request.endpoint in READ_ONLY_PAGES)
        if g.current_pledge is None:
            forget_pledge()
    return g.current_pledge


def collections_shown():
    """The draft's collections this request shows: the GET of a step, those of its form (a
    post may go on to the next step's page); any other request, all of them."""
    if request.endpoint == "intake.step" and request.method == "GET":
        return STEP_COLLECTIONS.get((request.view_args or {}).get("slug"), ())
    return links.COLLECTIONS


def remember_pledge(pledge, raw_token):
    """This browser works on the pledge through that link: the session keeps the pledge's id
    and the link's hash, never the link itself."""
    session.permanent = True
    session["pledge_id"] = pledge.id
    session["link_hash"] = links.hash_token(raw_token)
    g.current_pledge = pledge


def forget_pledge():
    for key in ("pledge_id", "link_hash", "resume_token"):
        if key in session:
            session.pop(key)
    g.current_pledge = None


def resume_url(raw_token):
    return public_url("intake.resume", token=raw_token)


def step_url(step, return_to=None):
    if step is steps.CHECK_ANSWERS_STEP:
        return url_for("intake.review")
    return url_for("intake.step", slug=step.slug, **({"return": return_to} if return_to else {}))


def already_sent():
    """A page of a pledge that was sent meanwhile (a second click on "Send", another tab):
    its confirmation. A post gets it the way posts are answered (htmx: a client redirect)."""
    url = url_for("intake.confirmation")
    return redirect_after_post(url) if request.method == "POST" else redirect(url)


def out_of_order():
    """A step opened before the ones it follows: back to the next step to complete."""
    flash(_("Please answer the questions in order: this is the next step to complete."))
    return redirect(step_url(steps.next_step_to_complete(current_pledge())))


# --- form helpers ------------------------------------------------------------


# The country and currency lists of a language, made once per process (by a request in that
# language: the argument is only the key).
@lru_cache(maxsize=8)
def country_options(_language):
    return options([("", _("Choose a country")), *countries.country_choices()])


@lru_cache(maxsize=8)
def currency_options(_language):
    return options([("", _("Choose a currency")), *countries.currency_choices()])


def fill_choices(form):
    """Choices that depend on the reader's language are set per request."""
    lang = current_language()
    if "country" in form:
        for field in [form.country, *(entry.form.country for entry in form.co_cities)]:
            long_list(field, ("country", lang), country_options(lang))
    if "budget_currency" in form:
        long_list(form.budget_currency, ("currency", lang), currency_options(lang))


def step_fields(step, form):
    """The questions of the step with their answers: the part of its page that is the form's."""
    fill_choices(form)
    if isinstance(form, HumanCheck):
        form.keep_shown_at()
    return shared_fields.render_form(f"pledge_form/steps/_{step.slug}.html", form)


def render_step(step, pledge, form, status=200, problem=None, push=False, return_to=None,
                fields=None):
    if fields is None:
        fields = step_fields(step, form)
    switch_returns_to(step_url(step, return_to), saves="step-form")
    return render(
        "pledge_form/step.html",
        "pledge_form/_step.html",
        status=status,
        push_url=step_url(step) if push else None,
        step=step,
        steps=steps.STEPS,
        pledge=pledge,
        form=form,
        fields=fields,
        problem=problem,
        return_to=return_to,
        incomplete=step in steps.incomplete_steps(pledge),
        **error_summary(form),
    )


def form_for_get(step, pledge):
    """The step's form filled from what was saved (a step kept for later: exactly as typed,
    its problems shown once it is sent again); never from the request, which during an htmx
    post holds the previous step's answers."""
    typed = typed_answers(step.slug, pledge)
    if typed is not None:
        return STEP_FORMS[step.slug](formdata=MultiDict(
            [(name, value) for name, values in typed.items() for value in values]))
    return STEP_FORMS[step.slug](formdata=None,
                                 data=answers_for_form(step.slug, pledge, current_language()))


def go_to(step, pledge):
    """After a saved step: htmx gets the next page in the same response; a plain post a 303."""
    if not wants_partial():
        return redirect(step_url(step), code=303)
    if step is steps.CHECK_ANSWERS_STEP:
        return render_check_answers(pledge, CheckAnswersForm(formdata=None), push=True)
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


class Start(NamedTuple):
    """What the introduction page offers: the steps, and the draft this browser works on."""
    steps: tuple
    draft: object  # the editable pledge, or None
    continue_url: str | None
    first_step_url: str


@bp.app_template_global()
def pledge_start():
    """For the one introduction page, public.home at "/" (which knows no pledge)."""
    pledge = current_pledge()
    draft = pledge if pledge is not None and steps.is_editable(pledge) else None
    return Start(steps.STEPS, draft,
                 step_url(steps.next_step_to_complete(draft)) if draft else None,
                 step_url(steps.STEPS[0]))


@bp.get("/pledge")
def start():
    """The start page became the introduction at "/": old links and bookmarks lead there."""
    return redirect(url_for("public.home"), code=301)


@bp.post("/pledge/new")
@limit_from_config("RATE_LIMIT_INTAKE_START")
def new_pledge():
    """Forget the pledge this browser was working on (it stays reachable by its link)."""
    forget_pledge()
    return redirect_after_post(url_for("intake.step", slug="city"))


def not_step_one():
    return (request.view_args or {}).get("slug") != "city"


@bp.route("/pledge/step/<slug>", methods=["GET", "POST"])
@limit_from_config("RATE_LIMIT_STEP_CITY", methods=["POST"], exempt_when=not_step_one)
def step(slug):
    if slug in steps.FORMER_SLUGS:  # a link or a page from before the pledge was split
        return redirect(url_for("intake.step", slug=steps.FORMER_SLUGS[slug], **request.args),
                        code=307 if request.method == "POST" else 302)
    step = steps.question_step(slug)
    if step is None:
        abort(404)
    pledge = current_pledge()
    if pledge is not None and not steps.is_editable(pledge):
        return already_sent()
    if not steps.can_open_step(pledge, step.number):
        return out_of_order()
    return_to = "review" if request.values.get("return") == "review" else None

    if request.method == "GET" and pledge is None:
        return shared_page(lambda: new_step_one(step, return_to))
    if request.method == "GET":
        return draft_step(step, pledge, return_to)

    form = STEP_FORMS[slug]()
    fill_choices(form)
    action = request.form.get("action", "continue")
    if slug == "city" and change_rows(form, action):
        return render_step(step, pledge, form, return_to=return_to)
    if slug == "city" and looks_automated(form, pledge):
        problem = _("Please check your answers and send the page again.")
        return render_step(step, pledge, form, status=422, problem=problem, return_to=return_to)
    complete = form.validate()
    if request.form.get(SWITCH_LANGUAGE):
        return switch_language(step, pledge, form, complete, return_to)
    if action == "save_exit":
        return save_for_later(step, pledge, form, complete, return_to)
    if not complete:
        return render_step(step, pledge, form, status=422, return_to=return_to)
    return save_and_go_on(step, pledge, form, action, return_to)


def new_step_one(step, return_to):
    """Step 1 before any answer, the same for every new visitor but its time stamp."""
    form = form_for_get(step, None)
    response = render_step(step, None, form, return_to=return_to)
    return response, [Fresh(form.shown_at.data, shown_at_stamp)]


def draft_step(step, pledge, return_to):
    """A step of a draft: the page around its questions is the same for every draft at that
    point of the form (how far it got, whether this step was kept unfinished, whether its form
    has errors to sum up: none on a GET today), so only the questions with this draft's
    answers are made for each request."""
    form = form_for_get(step, pledge)
    fields = step_fields(step, form)
    point = (pledge.furthest_step, step in steps.incomplete_steps(pledge), bool(form.errors))
    return shared_page(
        lambda: (render_step(step, pledge, form, return_to=return_to, fields=fields), []),
        own=[fields], varies_by=point, session_keys=DRAFT_SESSION_KEYS)


def looks_automated(form, pledge):
    """A robot's step 1: the honeypot filled in, or (for the post that would start a draft and
    email its link) sent sooner after the page was shown than a person could. Nothing is saved;
    the page says calmly to send it again, with everything typed kept."""
    # Only the first post counts the fill time: a person changing one answer of a saved draft
    # may well be quicker than that.
    min_seconds = current_app.config["FORM_MIN_FILL_SECONDS"] if pledge is None else 0
    reason = form.automated_because(min_seconds)
    if reason:
        current_app.logger.info("Step 1 refused as automated (%s) from %s", reason,
                                request.remote_addr)
    return reason is not None


def save_for_later(step, pledge, form, complete, return_to):
    """"Save and come back later" keeps what was typed, complete or not, then shows the
    private link. Only a page with nothing typed on it starts no pledge."""
    if pledge is None and not anything_typed(answers_as_typed(form)):
        form = STEP_FORMS[step.slug](formdata=None,
                                     data=answers_for_form(step.slug, None, current_language()))
        problem = _("There is nothing to save yet: answer at least one question first.")
        return render_step(step, pledge, form, status=422, problem=problem, return_to=return_to)
    save = save_step if complete else keep_step_for_later
    return save_and_go_on(step, pledge, form, "save_exit", return_to, save=save)


def switch_language(step, pledge, form, complete, return_to):
    """A language button of a step page: the step is kept the way "Save and come back later"
    keeps it, nothing typed lost, then shown again in that language (a full page, for the
    header and footer too). A step never saved with nothing typed on it is only shown again."""
    remember_language(request.form.get(SWITCH_LANGUAGE))
    saved_before = pledge is not None and (step.number <= (pledge.furthest_step or 0)
                                           or step in steps.incomplete_steps(pledge))
    if saved_before or anything_typed(answers_as_typed(form)):
        save = save_step if complete else keep_step_for_later
        return save_and_go_on(step, pledge, form, SWITCH_LANGUAGE, return_to, save=save)
    return redirect_after_post(step_url(step, return_to))


def commit_step(step, pledge, form, save):
    """Save the step and commit: (pledge, raw token or None), or None when the pledge was sent
    meanwhile. A save that lost a race with another save of the same draft (a double click,
    another tab) is made again on the draft as it is now: the outcome of coming second."""
    lifetime = current_app.config["RESUME_TOKEN_LIFETIME"]
    try:
        result = save(step, form, pledge, current_language(), lifetime)
        db.session.commit()
        return result
    except StaleDataError:
        db.session.rollback()
    pledge = current_pledge()
    if not steps.is_editable(pledge):
        return None
    result = save(step, form, pledge, current_language(), lifetime)
    db.session.commit()
    return result


def save_and_go_on(step, pledge, form, action, return_to, save=save_step):
    try:
        committed = commit_step(step, pledge, form, save)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Could not save step %s", step.slug)
        problem = _("We could not save your answers just now. Nothing you typed is lost: "
                    "please try again in a moment.")
        return render_step(step, pledge, form, status=503, problem=problem, return_to=return_to)
    if committed is None:
        return already_sent()
    saved, raw_token = committed
    if raw_token is not None:
        remember_pledge(saved, raw_token)
        unshown_links.keep(raw_token)  # shown if the contact saves and leaves
    if action == "save_exit":
        return leave_with_link(saved)
    if action == SWITCH_LANGUAGE:  # the same step again, in the language chosen
        return redirect_after_post(step_url(step, return_to))
    if return_to == "review" and steps.can_open_step(saved, steps.CHECK_ANSWERS_STEP.number):
        following = steps.CHECK_ANSWERS_STEP
    else:
        following = steps.step_by_number(step.number + 1)
    incomplete = steps.incomplete_steps(saved)
    if following is steps.CHECK_ANSWERS_STEP and incomplete:
        flash(_("Some answers are missing. Please complete this step."))
        following = incomplete[0]
    return go_to(following, saved)


def leave_with_link(pledge):
    """To the "saved" page, which shows a private link once: the one this browser made, if not
    shown yet, else a new one."""
    if unshown_links.waiting(session["link_hash"]) is False:
        raw_token = links.issue_access_token(pledge, current_app.config["RESUME_TOKEN_LIFETIME"])
        db.session.commit()
        remember_pledge(pledge, raw_token)
        unshown_links.keep(raw_token)
    return redirect_after_post(url_for("intake.saved"))


@bp.get("/pledge/saved")
def saved():
    pledge = current_pledge()
    if pledge is None:
        return redirect(url_for("intake.start"))
    raw_token = unshown_links.take(session.get("link_hash"))
    next_step = steps.next_step_to_complete(pledge)
    return render_template(
        "pledge_form/saved.html",
        pledge=pledge,
        link=resume_url(raw_token) if raw_token else None,
        next_step=next_step,
        next_step_url=step_url(next_step),
        incomplete_steps=steps.incomplete_steps(pledge),
        lifetime_days=current_app.config["RESUME_TOKEN_LIFETIME"].days,
    )


@bp.post("/pledge/saved/new-link")
def new_link():
    """A fresh private link for the draft in this browser (the old ones keep working)."""
    pledge = current_pledge()
    if pledge is None:
        return redirect(url_for("intake.start"), code=303)
    raw_token = links.issue_access_token(pledge, current_app.config["RESUME_TOKEN_LIFETIME"])
    db.session.commit()
    remember_pledge(pledge, raw_token)
    unshown_links.keep(raw_token)
    return redirect_after_post(url_for("intake.saved"))


def changeable_answers(pledge):
    """Every answer of the draft, each step's with a link to change them: the part of "check
    your answers" that is the draft's. Made once for each set of sections and labels, and
    language, then filled in with the draft's answers (shared_fields): each answer as the
    answer_value macro writes it, a text as the template escapes it."""
    sections = answer_sections(pledge)
    shape = tuple((section.slug, section.title,
                   tuple(answer.label for answer in section.answers)) for section in sections)
    answer_value = get_template_attribute("_pledge_answers.html", "answer_value")
    not_given = answer_value("")
    values = [shown_answer(answer.value, answer_value, not_given)
              for section in sections for answer in section.answers]
    answer_list = get_template_attribute("_pledge_answers.html", "answer_list")
    return shared_fields.filled_in(
        ("_pledge_answers.html", select_locale(), shape),
        lambda texts: answer_list(sections_of(shape, texts), changeable=True), values)


def shown_answer(value, answer_value, not_given):
    """An answer as the answer_value macro writes it; a text as it is (the template escapes it),
    and "Not given" made once per request."""
    if not value:
        return not_given
    return value if isinstance(value, str) else answer_value(value)


def sections_of(shape, texts):
    """The sections of that shape, their answers taken from `texts` in order."""
    texts = iter(texts)
    return [Section(slug, title, [Answer(label, next(texts)) for label in labels])
            for slug, title, labels in shape]


def render_check_answers(pledge, form, status=200, push=False, answers=None):
    return render(
        "pledge_form/check_answers.html",
        "pledge_form/_check_answers.html",
        status=status,
        push_url=url_for("intake.review") if push else None,
        step=steps.CHECK_ANSWERS_STEP,
        steps=steps.STEPS,
        pledge=pledge,
        form=form,
        answers=changeable_answers(pledge) if answers is None else answers,
        **error_summary(form),
    )


def draft_check_answers(pledge):
    """"Check your answers" of a complete draft: the page around its answers is the same for
    every draft that got as far (shared_pages), so only the answers are made per request."""
    answers = changeable_answers(pledge)
    return shared_page(
        lambda: (render_check_answers(pledge, CheckAnswersForm(formdata=None), answers=answers),
                 []),
        own=[answers], varies_by=(pledge.furthest_step,), session_keys=DRAFT_SESSION_KEYS)


# The URL and endpoint keep their first name, "review": links in emails and bookmarks use it.
@bp.route("/pledge/review", methods=["GET", "POST"])
def review():
    """Step 5: check your answers, agree, and send the pledge."""
    pledge = current_pledge()
    if pledge is not None and not steps.is_editable(pledge):
        return already_sent()
    if not steps.can_open_step(pledge, steps.CHECK_ANSWERS_STEP.number):
        return out_of_order()
    incomplete = steps.incomplete_steps(pledge)
    if incomplete:  # kept for later before it was complete: its answers are not checked yet
        flash(_("Some answers are missing. Please complete this step."))
        return redirect_after_post(step_url(incomplete[0]))
    if request.method == "GET":
        return draft_check_answers(pledge)
    form = CheckAnswersForm()
    if not form.validate():
        return render_check_answers(pledge, form, status=422)
    try:
        submission.submit(pledge, form.consent_contact.data, form.consent_publish.data,
                          current_app.config["REFERENCE_PREFIX"])
        db.session.commit()
    except submission.MissingAnswers as missing:
        db.session.rollback()
        flash(_("Some answers are missing. Please complete this step."))
        return redirect_after_post(step_url(missing.steps[0]))
    except (submission.ChangedMeanwhile, StaleDataError):
        db.session.rollback()
        pledge = current_pledge()
        if not steps.is_editable(pledge):  # the first click sent it: this one confirms it
            return already_sent()
        flash(_("Your answers changed while you were sending them. Check them, then send "
                "the pledge again."))
        return redirect_after_post(url_for("intake.review"))
    return redirect_after_post(url_for("intake.confirmation"))


@bp.get("/pledge/confirmation")
def confirmation():
    pledge = current_pledge()
    if pledge is None or steps.is_editable(pledge):
        return redirect(url_for("intake.start"))
    return render_template("pledge_form/confirmation.html", pledge=pledge,
                           review_days=current_app.config["FIRST_RESPONSE_WORKING_DAYS"])


# The pages of a sent pledge the confirmation links to, behind the pledge's private link.
FOLLOW_PAGES = {"status": "tracker.track", "answers": "tracker.answers"}


@bp.post("/pledge/confirmation/follow")
@token_page_limit
def follow():
    """From the confirmation to the pledge's status page (or its answers) through a fresh
    private link: the session holds only the hash of its own link, never a link to show."""
    pledge = current_pledge()
    if pledge is None or steps.is_editable(pledge):
        return redirect(url_for("intake.start"), code=303)
    page = FOLLOW_PAGES.get(request.form.get("page"), FOLLOW_PAGES["status"])
    raw_token = links.issue_access_token(pledge, current_app.config["RESUME_TOKEN_LIFETIME"])
    db.session.commit()
    return redirect(url_for(page, token=raw_token), code=303)


@bp.route("/pledge/email-my-link", methods=["GET", "POST"])
@limit_from_config("RATE_LIMIT_EMAIL_LINK", methods=["POST"])
def email_my_link():
    """Answered the same way whether or not the address is known: it reveals nothing."""
    form = EmailLinkForm()
    if request.method == "POST" and form.validate():
        events.link_requested(form.email.data, utcnow())
        db.session.commit()
        return render_template("pledge_form/link_requested.html", address=form.email.data)
    return render_email_my_link(form, 422 if request.method == "POST" else 200)


def render_email_my_link(form, status, problem=None):
    return render_template("pledge_form/email_my_link.html", form=form, problem=problem,
                           **error_summary(form)), status


# --- coming back through a private link -------------------------------------


@bp.get("/resume/<token>")
@token_page_limit
def resume(token):
    """Shows where the pledge stands. A GET changes nothing: mail scanners open links too."""
    pledge = links.pledge_for_token(token)
    if not steps.is_editable(pledge):
        return redirect(url_for("tracker.track", token=token))
    next_step = steps.next_step_to_complete(pledge)
    return render_template("pledge_form/resume.html", pledge=pledge, token=token,
                           next_step=next_step)


@bp.post("/resume/<token>")
@token_page_limit
def continue_from_link(token):
    pledge = links.pledge_for_token(token)
    remember_pledge(pledge, token)
    if not steps.is_editable(pledge):
        return redirect(url_for("intake.confirmation"), code=303)
    return redirect(step_url(steps.next_step_to_complete(pledge)), code=303)


def rerender_after_csrf_failure():
    """A step posted with a stale or missing security token: show the answers again, not lose
    them."""
    if request.endpoint != "intake.step" or request.method != "POST":
        return None
    step = steps.question_step(request.view_args.get("slug"))
    if step is None:
        return None
    pledge = current_pledge()
    if not steps.can_open_step(pledge, step.number):
        return None
    form = STEP_FORMS[step.slug](meta={"csrf": False})
    problem = _("Your session had expired, so your answers were not saved yet. "
                "Check them and send the page again.")
    return render_step(step, pledge, form, status=400, problem=problem)


def rerender_when_too_many(problem):
    """A step or "email me my link" refused by a rate limit: the same page again, with what was
    typed and the message at the top (the rate limit's 429 and Retry-After are added by the
    error handler)."""
    if request.method != "POST":
        return None
    if request.endpoint == "intake.email_my_link":
        return render_email_my_link(EmailLinkForm(), 429, problem=problem)
    if request.endpoint != "intake.step":
        return None
    step = steps.question_step(request.view_args.get("slug"))
    pledge = current_pledge()
    if step is None or not steps.can_open_step(pledge, step.number):
        return None
    form = STEP_FORMS[step.slug]()
    return render_step(step, pledge, form, status=429, problem=problem,
                       return_to="review" if request.values.get("return") == "review" else None)
