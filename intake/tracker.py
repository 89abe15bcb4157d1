"""The city's status tracker: a private link to the pledge's state, timeline and questions."""
from flask import Blueprint

bp = Blueprint("tracker", __name__)
