"""What goes wrong, said the same way everywhere: a form's error summary, the error pages, a
private link that does not open, a request refused by the rate limits."""
import math
import time

from flask import current_app, make_response, render_template, request
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from ..extensions import db, htmx, limiter
from ..extensions import lazy_gettext as _l


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


def error_summary(*forms):
    """What a page's error summary needs: every error of these forms (the summary takes focus)."""
    return {"errors": [error for form in forms if form is not None for error in error_list(form)]}


def link_problem(reason):
    """The page for a private link that is unknown (404) or has expired (410)."""
    status = 410 if reason == "expired" else 404
    return render_template("errors/link_problem.html", reason=reason), status


ERROR_TITLES = {
    400: _l("Something was wrong with that request"),
    403: _l("You cannot open this page"),
    404: _l("Page not found"),
    405: _l("That action is not allowed here"),
    413: _l("What you sent is too large"),
    500: _l("Sorry, something went wrong on our side"),
    503: _l("The service is unavailable for a moment"),
}


def error_page(code):
    code = code if code in ERROR_TITLES else 500
    return render_template("errors/error.html", code=code, title=ERROR_TITLES[code]), code


def retry_after_seconds(error):
    """Seconds until the limit that refused the request lets it through again: at least one,
    at most the limit's window (the reset moment and the clock are rounded apart)."""
    window = error.limit.limit.get_expiry()
    try:
        return max(1, min(window, limiter.current_limit.reset_at - int(time.time())))
    except Exception:  # the window could not be read (Redis went away): the whole window
        return max(1, window)


def too_many_message(seconds, posted):
    minutes = max(1, math.ceil(seconds / 60))
    if posted:
        return ngettext(
            "This page was sent many times from your connection in a short while, so we have "
            "paused it. Nothing you typed is lost: wait %(num)d minute, then send it again.",
            "This page was sent many times from your connection in a short while, so we have "
            "paused it. Nothing you typed is lost: wait %(num)d minutes, then send it again.",
            minutes)
    return ngettext(
        "This page was opened many times from your connection in a short while, so we have "
        "paused it. Wait %(num)d minute, then open it again.",
        "This page was opened many times from your connection in a short while, so we have "
        "paused it. Wait %(num)d minutes, then open it again.", minutes)


def too_many_requests(error, rescuers=()):
    """429, with a Retry-After header. A form post is shown again with what was typed: each
    rescuer (a function of the message) may answer with its page; otherwise a plain page."""
    seconds = retry_after_seconds(error)
    message = too_many_message(seconds, posted=request.method == "POST")
    response = None
    for rescue in rescuers:
        response = rescue(message)
        if response is not None:
            break
    plain_page = response is None
    if plain_page:
        response = render_template("errors/too_many_requests.html", message=message)
    response = make_response(response)
    if plain_page and htmx:  # a poll or a link swapped in place: leave the page as it is
        response.headers["HX-Reswap"] = "none"
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_pages(app, csrf_rescuers=(), link_problems=(), rate_limit_rescuers=()):
    """Every error gets a page in the reader's language. A CSRF failure first asks each rescuer
    (a function of no arguments) whether it can show the posted answers again instead; so does
    a request over a rate limit (its rescuers take the message to show). Each exception class in
    link_problems (with a `reason`: "unknown" or "expired") is a private link that did not
    open."""
    for problem in link_problems:
        app.register_error_handler(problem, lambda error: link_problem(error.reason))

    for code in ERROR_TITLES:
        app.register_error_handler(
            code, lambda error: error_page(getattr(error, "code", 500) or 500))

    app.register_error_handler(
        RateLimitExceeded, lambda error: too_many_requests(error, rate_limit_rescuers))

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        for rescue in csrf_rescuers:
            rescued = rescue()
            if rescued is not None:
                return rescued
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(OperationalError)
    def database_down(error):
        db.session.rollback()
        current_app.logger.error("Database unavailable: %s", error)
        return error_page(503)
