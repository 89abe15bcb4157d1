"""Pledge intake for the Call to Local Action on Migration: the app factory."""
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, config, extensions, web
from .accounts import access  # noqa: F401  (registers the sign-in user loader)
from .accounts import sessions as coordinator_sessions
from .accounts import views as accounts_views
from .archive_import import views as archive_import_views
from .email import outbox, wire
from .email import pages as email_pages
from .email_problems import views as email_problems_views
from .inbox import views as inbox_views
from .matching import bp as matching_bp
from .matching import views as matching_views
from .pledge_form import views as pledge_form_views
from .pledges.links import TokenProblem
from .privacy import views as privacy_views
from .register import bp as register_bp
from .tracker import offer_views as _tracker_offer_views  # noqa: F401  (routes on tracker's bp)
from .tracker import publication_views  # noqa: F401  (its routes join the tracker's)
from .tracker import report_views as tracker_report_views
from .tracker import views as tracker_views
from .triage import bp as triage_bp
from .web import views as public_views
from .web.i18n import select_locale

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None, instance_path=None):
    # INSTANCE_PATH: where the SQLite file, the embedded Redis, the secret key, the dev mailbox
    # and uploads live (instance/ beside the code by default).
    instance_path = instance_path or os.environ.get("INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path,
                template_folder=str(PROJECT_ROOT / "templates"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"])
    config.check_environment(app.config)
    if app.config["TRUSTED_PROXY_COUNT"]:
        # The rate limits count per client IP: behind reverse proxies, it is the address the
        # nearest of them saw (X-Forwarded-For), not the proxy's own; the scheme is the one it
        # was asked in (X-Forwarded-Proto).
        proxies = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    register_extensions(app)
    register_blueprints(app)
    register_web(app)
    register_commands(app)
    return app


def register_extensions(app):
    extensions.db.init_app(app)
    with app.app_context():
        for engine in extensions.db.engines.values():
            extensions.ping_idle_connections(engine,
                                             app.config["DATABASE_POOL_PING_IDLE_SECONDS"])
    extensions.migrate.init_app(app, extensions.db, directory=str(PROJECT_ROOT / "migrations"),
                                render_as_batch=True)
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=select_locale)
    extensions.htmx.init_app(app)
    extensions.mail.init_app(app)
    extensions.login_manager.init_app(app)
    app.session_interface = coordinator_sessions.CookieSessionInterface()
    extensions.limiter.init_app(app)
    outbox.init_app(app)
    wire.init_app(app)


def register_blueprints(app):
    for blueprint in (public_views.bp, pledge_form_views.bp, email_pages.bp, tracker_views.bp,
                      triage_bp, email_problems_views.bp, accounts_views.bp,
                      privacy_views.bp, register_bp, matching_bp, inbox_views.bp,
                      archive_import_views.bp):
        app.register_blueprint(blueprint)


# Pages about one pledge or one person: never stored by a browser or a proxy (pages whose
# address holds a token are private wherever they are).
PRIVATE_PAGES = ("intake", "tracker", "triage", "inbox", "archive_import", "accounts", "privacy",
                 "email_problems", "matching.offer_support", "matching.matches",
                 "matching.partner_page")


def register_web(app):
    web.register(app, csrf_rescuers=(pledge_form_views.rerender_after_csrf_failure,
                                     matching_views.rerender_after_csrf_failure),
                 link_problems=(TokenProblem,), private=PRIVATE_PAGES,
                 rate_limit_rescuers=(pledge_form_views.rerender_when_too_many,
                                      accounts_views.rerender_when_too_many,
                                      tracker_report_views.rerender_when_too_many,
                                      tracker_views.rerender_when_too_many,
                                      matching_views.rerender_when_too_many))


def register_commands(app):
    cli.init_app(app)
