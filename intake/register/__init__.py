"""Blueprint "register": the public register of published pledges (views), its queries
(queries), filter form (forms), Atom feed (feed) and open data (open_data). What is published
is decided by intake/pledges/publication.py."""
from flask import Blueprint

bp = Blueprint("register", __name__, url_prefix="/register")

from . import views  # noqa: E402,F401  (routes register on bp)
