"""Partner matching: a partner offers support for a pledge of the public register, and the
coordinators handle the offer as a match (proposed, introduced, agreed, closed), introducing
both sides only once the city agreed. Rules in states, steps in moves, their emails in emails,
what the pages read in queries; the public pages in views, the coordinators' and partners' in
match_views, forms in forms. The city answers on its status page (tracker/offer_views.py)."""
from flask import Blueprint

bp = Blueprint("matching", __name__)

from . import states  # noqa: E402

bp.add_app_template_filter(states.state_label, "match_state_label")

from . import match_views, views  # noqa: E402,F401  (routes register on bp)
