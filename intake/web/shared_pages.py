"""Pages that are the same for every visitor who has nothing of their own yet (the start page,
step 1 of a new pledge), or for every draft at the same point of the form but for its answers
(a draft's step): made once per process for each page, language and kind of request, then
served to each visitor with the values that are theirs put back in (the security token of
their session, step 1's signed time stamp, their draft's answers). Making such a page is most
of what its request costs; the bytes a visitor gets are those a fresh render would give them."""
from typing import Callable, NamedTuple

from flask import current_app, make_response, request, session
from flask_wtf.csrf import generate_csrf

from ..extensions import htmx
from .i18n import select_locale

# What a session may hold for its visitor to get the shared page: the security token, the
# language (part of the key) and Flask's mark of a lasting session. Anything else (a draft, a
# message flashed for the next page, a coordinator signed in) makes the page theirs alone.
SHARED_SESSION_KEYS = frozenset({"csrf_token", "language", "_permanent"})
# The settings these pages show (the footer's address, the htmx version, the development
# mailbox link, whether the forms carry a security token at all): part of the key, so that a
# page made under other settings is never served.
PAGE_SETTINGS = ("CONTACT_EMAIL", "HTMX_VERSION", "DEV_MAILBOX_DIR", "WTF_CSRF_ENABLED")
PLACEHOLDER = "\x00{}\x00"  # never in a page: templates cannot write a NUL
KEPT = "intake_shared_pages"  # the app's extension that keeps them, by key()
# At most this many pages are kept per process (the oldest is let go first): a draft's step is
# kept for each point of the form a draft can be at, in each language.
MOST_KEPT = 500


class Fresh(NamedTuple):
    """A value of one visitor's own in a page made for them: how to make another one."""
    value: str
    make: Callable[[], str]


class SharedPage(NamedTuple):
    parts: list  # the page's text, with the index of a fresh value at every odd position
    makers: tuple
    status: int
    headers: tuple

    def filled(self, values):
        return filled_with(self.parts, values)


def is_shared(session_keys=SHARED_SESSION_KEYS):
    return (request.method == "GET" and not request.query_string
            and session_keys.issuperset(session))


def key():
    """The page, its language (as select_locale names it) and the kind of request (htmx's
    headers, the ones wants_partial reads), under the app's settings."""
    settings = current_app.config
    kind = (htmx.boosted, htmx.history_restore_request) if htmx else None
    return (request.endpoint, request.path, select_locale(), kind,
            tuple(settings.get(name) for name in PAGE_SETTINGS))


def shared_page(render, own=(), varies_by=(), session_keys=SHARED_SESSION_KEYS):
    """The page `render()` makes, made once and kept when the request is one a shared page may
    answer. render() returns (response, [Fresh, ...]): the values of the page that are this
    visitor's own besides the security token, which is always one. `own`: parts of the page
    already made for this visitor (their draft's answers), put in place of the kept page's;
    `varies_by`: whatever else the page shows of theirs (how far their draft is), part of the
    key; `session_keys`: what their session may hold for them to get a shared page."""
    if not is_shared(session_keys):
        return render()[0]
    kept = current_app.extensions.setdefault(KEPT, {})
    page_key = (*key(), *varies_by)
    page = kept.get(page_key)
    if page is None:
        response, fresh = render()
        response = make_response(response)
        page = keep(response, [Fresh(generate_csrf(), generate_csrf), *fresh], own)
        if page is not None:
            remember(kept, page_key, page)
        return response
    values = [*(make() for make in page.makers), *own]
    return make_response(page.filled(values), page.status, list(page.headers))


def keep(response, fresh, own=()):
    """The page with its fresh values and own parts taken out; None for a page that cannot be
    shared."""
    if response.status_code != 200 or response.is_streamed or "Set-Cookie" in response.headers:
        return None
    body = response.get_data(as_text=True)
    if "\x00" in body:
        return None
    for index, text in enumerate([*(value.value for value in fresh), *own]):
        if not text or text not in body:
            return None
        body = body.replace(text, PLACEHOLDER.format(index))
    parts = split_marked(body)
    headers = tuple((name, value) for name, value in response.headers.items()
                    if name != "Content-Length")
    return SharedPage(parts, tuple(value.make for value in fresh), response.status_code,
                      headers)


def split_marked(marked):
    """Text with PLACEHOLDERs in it: its parts, the index of a placeholder at every odd
    position."""
    parts = marked.split("\x00")  # text, index, text, ...: PLACEHOLDER has a NUL either side
    parts[1::2] = [int(index) for index in parts[1::2]]
    return parts


def filled_with(parts, values):
    """The parts with each placeholder's value in its place, in one pass: a value put in is
    never read again, whatever it holds."""
    parts = parts.copy()
    for position in range(1, len(parts), 2):
        parts[position] = values[parts[position]]
    return "".join(parts)


def remember(kept, page_key, page, most_kept=None):
    """Keep the page, letting the oldest go first beyond `most_kept` (MOST_KEPT by default)."""
    while len(kept) >= (most_kept or MOST_KEPT):
        kept.pop(next(iter(kept)), None)
    kept[page_key] = page


def forget(app):
    """Every page kept for the app (made under settings that have changed since)."""
    app.extensions.pop(KEPT, None)
