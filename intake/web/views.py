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

from ..extensions import db, get_redis
from .assets import NODE_MODULES, ONE_YEAR, VENDOR_ASSETS
from .i18n import remember_language
from .paths import local_path

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


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
    precompressed = NODE_MODULES / (relative + ".gz")
    if "gzip" in request.headers.get("Accept-Encoding", "") and precompressed.is_file():
        response = send_from_directory(NODE_MODULES, relative + ".gz", max_age=ONE_YEAR,
                                       mimetype="text/javascript")
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
    response = send_from_directory(NODE_MODULES, relative, max_age=ONE_YEAR)
    response.vary.add("Accept-Encoding")
    return response
