"""What every blueprint shares and that knows no pledge: the htmx partial-or-page decision
(htmx), form fields (fields), error summaries and pages (errors), the `next` guard (paths),
languages (i18n), template helpers and filters (templating), response headers and gzip
(responses), front-end assets (assets), log lines without tokens (logs), sealed values (sealed),
and the public pages (views)."""
from . import assets, errors, fields, i18n, logs, responses, templating


def register(app, csrf_rescuers=(), link_problems=(), rate_limit_rescuers=(), private=()):
    """`private`: the blueprints and endpoints whose pages no browser or proxy may store."""
    logs.register(app)
    templating.register(app)
    app.before_request(i18n.share_wtforms_messages)
    fields.use_fast_html_params()
    errors.register_error_pages(app, csrf_rescuers, link_problems, rate_limit_rescuers)
    responses.register(app, private)
    assets.register(app)
