"""Pledge intake for the Call to Local Action on Migration."""
import gzip
import hashlib
import json
from pathlib import Path

from flask import Flask, current_app, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from . import config, template_helpers
from . import extensions

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None, instance_path=None):
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"])

    # Through the module: the submodule intake.htmx would shadow a name imported here.
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(PROJECT_ROOT / "migrations"),
                                render_as_batch=True)
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=select_locale)
    extensions.htmx.init_app(app)
    extensions.mail.init_app(app)
    from . import models  # noqa: F401  (tables known to Alembic)

    from . import accounts, auth, city_intake, cli, email_pages, outbox, public, tracker, triage
    app.register_blueprint(public.bp)
    app.register_blueprint(city_intake.bp)
    app.register_blueprint(email_pages.bp)
    app.register_blueprint(tracker.bp)
    app.register_blueprint(triage.bp)
    app.register_blueprint(accounts.bp)
    auth.init_app(app)
    outbox.init_app(app)
    cli.init_app(app)

    app.context_processor(template_globals)
    template_helpers.register(app)
    register_error_pages(app)
    app.after_request(add_security_headers)
    app.after_request(compress)
    versioned_static_urls(app)
    app.config.setdefault("HTMX_VERSION", installed_htmx_version())
    return app


def select_locale():
    chosen = session.get("language")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


def template_globals():
    return {
        "current_language": str(get_locale() or "en"),
        "language_names": LANGUAGE_NAMES,
        "htmx_version": current_app.config["HTMX_VERSION"],
    }


def installed_htmx_version():
    package = PROJECT_ROOT / "node_modules" / "htmx.org" / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except OSError:
        return "missing"


ERROR_TITLES = {
    400: _l("Something was wrong with that request"),
    403: _l("You cannot open this page"),
    404: _l("Page not found"),
    405: _l("That action is not allowed here"),
    413: _l("What you sent is too large"),
    500: _l("Sorry, something went wrong on our side"),
    503: _l("The service is unavailable for a moment"),
}


def register_error_pages(app):
    def error_page(error):
        code = getattr(error, "code", 500) or 500
        return render_template("errors/error.html", code=code,
                               title=ERROR_TITLES.get(code, ERROR_TITLES[500])), code

    for code in ERROR_TITLES:
        app.register_error_handler(code, error_page)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        from .city_intake import rerender_after_csrf_failure

        rerendered = rerender_after_csrf_failure()
        if rerendered is not None:
            return rerendered
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(OperationalError)
    def database_down(error):
        extensions.db.session.rollback()
        app.logger.error("Database unavailable: %s", error)
        return render_template("errors/error.html", code=503, title=ERROR_TITLES[503]), 503


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript",
                "application/json", "text/plain"}


def compress(response):
    """Gzip text for contacts on slow connections (a proxy in front may do it instead)."""
    if (response.mimetype not in COMPRESSIBLE
            or "gzip" not in request.headers.get("Accept-Encoding", "")
            or response.status_code not in (200, 422, 400, 404, 503)
            or "Content-Range" in response.headers
            or "Content-Encoding" in response.headers):
        return response
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < 1024:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, _weak = response.get_etag()
    if etag:  # the compressed bytes are another representation
        response.set_etag(etag + "-gzip", weak=True)
    return response


def versioned_static_urls(app):
    """Static files carry a hash of their content in the URL, so browsers may keep them a year."""
    hashes = {}

    def add_version(endpoint, values):
        if endpoint != "static" or "filename" not in values or "v" in values:
            return
        filename = values["filename"]
        if filename not in hashes:
            path = Path(app.static_folder) / filename
            hashes[filename] = (hashlib.sha256(path.read_bytes()).hexdigest()[:12]
                                if path.is_file() else "missing")
        values["v"] = hashes[filename]

    app.url_defaults(add_version)
