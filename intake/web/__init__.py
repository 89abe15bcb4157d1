"""What every blueprint shares and that knows no pledge: the htmx partial-or-page decision
(htmx), form fields (fields), error summaries and pages (errors), the `next` guard (paths),
languages (i18n), template helpers and filters (templating), response headers and gzip
(responses), front-end assets (assets), and the public pages (views)."""
from . import assets, errors, responses, templating


def register(app, csrf_rescuers=(), link_problems=(), rate_limit_rescuers=()):
    templating.register(app)
    errors.register_error_pages(app, csrf_rescuers, link_problems, rate_limit_rescuers)
    responses.register(app)
    assets.register(app)
