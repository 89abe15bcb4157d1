"""The coordinators' queue: filters, search, sorting, paging, bulk actions and exports."""
from flask import render_template

from ..auth import signed_in
from . import bp


@bp.get("/")
@signed_in
def queue():
    return render_template("triage/queue.html")
