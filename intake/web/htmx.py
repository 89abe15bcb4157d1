"""What flask-htmx lacks: one decision between partial and page, and the headers that go with it."""
from flask import make_response, redirect, render_template

from ..extensions import htmx
from .i18n import declared_switch, switch_returns_to


def wants_partial():
    """A partial answers an htmx swap; a boosted request or a history restore needs the page."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page_template, partial_template, status=200, push_url=None, **context):
    """The page, or for an htmx swap its partial; a partial that moves to another address
    (push_url), or whose view said which page it shows, carries that page's language switch
    out of band, so that the switch on screen names the page on screen."""
    partial = wants_partial()
    body = render_template(partial_template if partial else page_template, partial=partial,
                           **context)
    if partial and push_url and declared_switch() is None:
        switch_returns_to(push_url)
    if partial and declared_switch() is not None:
        body += render_template("_language_switch.html", oob=True)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    if partial and push_url:
        response.headers["HX-Push-Url"] = push_url
    return response


def redirect_after_post(url):
    """A plain form post gets a 303; an htmx one a client-side redirect (a full page load)."""
    if htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        response.vary.add("HX-Request")
        return response
    return redirect(url, code=303)
