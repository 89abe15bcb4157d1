"""The bare floor of bench/load_mixed.py and bench/floor_ratio.py: Flask and one Jinja template,
nothing else. Every request is answered with a page of the size the real app served under the
same name (load_names.endpoint), read from the JSON file named by LOAD_FLOOR_SIZES: what
serving those bytes costs with no database, Redis, session or translation behind them. The
template is loaded and compiled once, as any Flask app's templates are (render_template), not
compiled again for every request. Run under gunicorn with the same flags as the app:
`gunicorn floor_app:app`."""
import json
import os
import sys
from pathlib import Path

from flask import Flask, render_template, request
from jinja2 import DictLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))
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


@app.before_request
def floor_page():
    name = endpoint(request.method, request.path, f"?{request.query_string.decode()}"
                    if request.query_string else "")
    lines = LINES.get(name) or LINES_DEFAULT
    return render_template("floor.html", title=name, token="floor-token", lines=lines)


with app.app_context():
    LINES = {name: lines_for(size) for name, size in SIZES.items()}
    LINES_DEFAULT = lines_for(3000)
