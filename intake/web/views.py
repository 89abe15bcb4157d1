"""Public pages: home, language choice, health check and the app's own front-end assets."""
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
)
from sqlalchemy import text

from .extensions import db
from .redis_connection import get_redis

bp = Blueprint("public", __name__)

ASSET_ROOT = Path(__file__).resolve().parent.parent / "node_modules"
VENDOR_ASSETS = {"htmx.min.js": "htmx.org/dist/htmx.min.js"}


@bp.get("/")
def home():
    return render_template("public/home.html")


def is_local_path(target):
    parts = urlsplit(target)
    return bool(target) and not parts.scheme and not parts.netloc and target.startswith("/") \
        and not target.startswith("//") and "\\" not in target


@bp.post("/language")
def choose_language():
    chosen = request.form.get("language")
    if chosen in current_app.config["LANGUAGES"]:
        session["language"] = chosen
        session.permanent = True
    target = request.form.get("next", "/")
    return redirect(target if is_local_path(target) else "/", code=303)


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


@bp.get("/healthz")
def healthz():
    checks = {"database": database_state(), "redis": redis_state()}
    healthy = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if healthy else "unavailable", **checks}
    return jsonify(body), 200 if healthy else 503, {"Cache-Control": "no-store"}


@bp.get("/assets/vendor/<name>")
def vendor_asset(name):
    """Front-end packages installed from the npm registry (see package-lock.json)."""
    relative = VENDOR_ASSETS.get(name)
    if relative is None:
        abort(404)
    one_year = 365 * 24 * 3600
    precompressed = ASSET_ROOT / (relative + ".gz")
    if "gzip" in request.headers.get("Accept-Encoding", "") and precompressed.is_file():
        response = send_from_directory(ASSET_ROOT, relative + ".gz", max_age=one_year,
                                       mimetype="text/javascript")
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
    response = send_from_directory(ASSET_ROOT, relative, max_age=one_year)
    response.vary.add("Accept-Encoding")
    return response
