"""Blueprint for coordinators: the queue (queue.py) and a pledge's page (pledge_page.py)."""
from flask import Blueprint

bp = Blueprint("triage", __name__, url_prefix="/triage")

from . import pledge_page, queue  # noqa: E402,F401  (routes register on bp)
