"""Blueprint for coordinators: the queue (queue_views, its queries in queue_query, its rows in
queue_rows), its downloads (exports), and a pledge's page (pledge_views); forms in forms."""
from flask import Blueprint

bp = Blueprint("triage", __name__, url_prefix="/triage")

from . import exports, pledge_views, queue_views  # noqa: E402,F401  (routes register on bp)
