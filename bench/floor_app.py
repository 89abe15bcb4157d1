"""The bare floor of bench/load_mixed.py and bench/floor_ratio.py: Flask and one Jinja template,
nothing else (`app`). Every request is answered with a page of the size the real app served
under the same name (load_names.endpoint), read from the JSON file named by LOAD_FLOOR_SIZES:
what serving those bytes costs with no database, Redis, session or translation behind them.
The template is loaded and compiled once, as any Flask app's templates are (render_template),
not compiled again for every request. Run under gunicorn with the same flags as the app:
`gunicorn floor_app:app`.

The draft floor of bench/floor_ratio.py (`draft_app`): the same, plus what any page of a
private draft must do at the least: read the signed session cookie (the app's SECRET_KEY) and
SELECT the pledge row it names by its primary key, on the app's database (DATABASE_URL), with
no transaction around it (one round trip)."""
import json
import os
import sys
from pathlib import Path

from flask import Flask, abort, render_template, request, session
from jinja2 import DictLoader
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from intake.config import normalise_database_url  # noqa: E402
from load_names import endpoint  # noqa: E402

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<form method="post"><input name="csrf_token" type="hidden" value="{{ token }}"></form>
{% for line in lines %}<p>{{ line }}</p>
{% endfor %}</main></body></html>
"""
LINE = "Cities pledge to act locally on migration: {} "
SIZES = json.loads(Path(os.environ["LOAD_FLOOR_SIZES"]).read_text())

app = Flask(__name__)
app.jinja_loader = DictLoader({"floor.html": PAGE})


def lines_for(size):
    """Lines of text that bring the page to about `size` bytes."""
    bare = len(render_template("floor.html", title="Floor", token="t", lines=[]))
    lines, total = [], bare
    while total < size:
        line = LINE.format(len(lines))
        lines.append(line)
        total += len(line) + len("<p></p>\n")
    return lines


def page_name():
    return endpoint(request.method, request.path, f"?{request.query_string.decode()}"
                    if request.query_string else "")


@app.before_request
def floor_page():
    name = page_name()
    lines = LINES.get(name) or LINES_DEFAULT
    return render_template("floor.html", title=name, token="floor-token", lines=lines)


# The draft floor: Flask's signed cookie session under the app's secret key, and one query.
draft_app = Flask(__name__)
draft_app.jinja_loader = app.jinja_loader
draft_app.secret_key = os.environ.get("SECRET_KEY")
DRAFT_ROW = text("SELECT * FROM pledge WHERE id = :pledge_id")
# Autocommit, as the app reads a draft's pages: one round trip, no BEGIN and ROLLBACK around it.
engine = (create_engine(normalise_database_url(os.environ["DATABASE_URL"]),
                        isolation_level="AUTOCOMMIT")
          if "DATABASE_URL" in os.environ else None)


@draft_app.before_request
def draft_floor_page():
    """The page with the draft's row read: its city's name in the title (a session naming no
    draft is refused, as the app would send it elsewhere)."""
    pledge_id = session.get("pledge_id")
    if pledge_id is None:
        abort(403)
    with engine.connect() as connection:
        row = connection.execute(DRAFT_ROW, {"pledge_id": pledge_id}).mappings().first()
    if row is None:
        abort(404)
    name = page_name()
    lines = LINES.get(name) or LINES_DEFAULT
    return render_template("floor.html", title=f"{name} {row['city']}", token="floor-token",
                           lines=lines)


with app.app_context():
    LINES = {name: lines_for(size) for name, size in SIZES.items()}
    LINES_DEFAULT = lines_for(3000)
