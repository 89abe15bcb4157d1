"""Public pages: home, language choice, health check and the app's own front-end assets."""
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
)
from sqlalchemy import text

from ..clock import as_utc
from ..email.problems import sending_alert
from ..extensions import db, get_redis
from ..inbound import imap
from .assets import BUILT_VENDOR, ONE_WEEK, ONE_YEAR, VENDOR_ASSETS
from .i18n import remember_language
from .paths import local_path
from .shared_pages import shared_page

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return shared_page(lambda: (render_template("public/home.html"), []))


@bp.post("/language")
def choose_language():
    remember_language(request.form.get("language"))
    return redirect(local_path(request.form.get("next")) or "/", code=303)


def database_state():
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # any failure is reported, none is raised
        db.session.rollback()
        current_app.logger.warning("Health check: database unreachable: %s", error)
        return "unavailable"


def redis_state():
    try:
        get_redis().ping()
        return "ok"
    except Exception as error:
        current_app.logger.warning("Health check: Redis unreachable: %s", error)
        return "unavailable"


def email_state():
    """What the worker last saw of SMTP (the web process never talks to it): "ok", or
    "degraded" while the newest attempt failed for a fault of our own mail setup, with that
    fault's code and stage (not the server's words)."""
    try:
        alert = sending_alert()
    except Exception as error:
        db.session.rollback()
        current_app.logger.warning("Health check: email state unreadable: %s", error)
        return {"email": "unknown"}
    if alert is None:
        return {"email": "ok"}
    return {"email": "degraded", "email_error": alert.head,
            "email_error_at": as_utc(alert.at).isoformat()}


@bp.get("/healthz")
@bp.get("/healthz/ready")
def healthz():
    """Readiness (`/healthz`, and `/healthz/ready` for orchestrators that want the word): 503
    when the database or Redis is down, as the app cannot serve without them. Email is never a
    503 (the outbox keeps every email until it goes, and pages do not need SMTP): "degraded"
    with a 200, for monitoring to alert on. So is an IMAP folder (IMAP_URL) the worker could
    not read last time: "inbound". See the README."""
    checks = {"database": database_state(), "redis": redis_state()}
    healthy = all(state == "ok" for state in checks.values())
    email = email_state() if checks["database"] == "ok" else {"email": "unknown"}
    status = "unavailable" if not healthy else "ok" if email["email"] == "ok" else "degraded"
    body = {"status": status, **checks, **email}
    if current_app.config.get("IMAP_URL"):  # what the worker last saw of the IMAP folder
        body["inbound"] = imap.inbound_state() if checks["redis"] == "ok" else "unknown"
        if body["inbound"] == "degraded" and status == "ok":
            body["status"] = "degraded"
    return jsonify(body), 200 if healthy else 503, {"Cache-Control": "no-store"}


@bp.get("/healthz/live")
def liveness():
    """Liveness: the process answers. No dependency is asked: a database or Redis outage is
    not cured by restarting the app, and a liveness probe that failed for one would."""
    return jsonify({"status": "ok"}), 200, {"Cache-Control": "no-store"}


@bp.get("/favicon.ico")
def favicon():
    """For what asks the old address without reading a page's icon link (feed readers, the
    open data's visitors): the same icon as static/favicon.svg, which pages link to."""
    return send_from_directory(current_app.static_folder, "favicon.svg", max_age=ONE_WEEK,
                               mimetype="image/svg+xml")


@bp.get("/assets/vendor/<name>")
def vendor_asset(name):
    """Front-end packages installed from the npm registry (see package-lock.json), as the build
    step copied them (intake/web/assets.py)."""
    if name not in VENDOR_ASSETS:
        abort(404)
    precompressed = BUILT_VENDOR / (name + ".gz")
    if "gzip" in request.headers.get("Accept-Encoding", "") and precompressed.is_file():
        response = send_from_directory(BUILT_VENDOR, name + ".gz", max_age=ONE_YEAR,
                                       mimetype="text/javascript")
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
    response = send_from_directory(BUILT_VENDOR, name, max_age=ONE_YEAR)
    response.vary.add("Accept-Encoding")
    return response
