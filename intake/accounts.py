"""Coordinator accounts: sign in and out, lockout, and the admins' account management."""
from flask import Blueprint, render_template

bp = Blueprint("accounts", __name__, cli_group=None)


@bp.get("/login")
def login():
    return render_template("accounts/login.html")


@bp.post("/logout")
def logout():
    return "", 204


@bp.get("/admin/coordinators")
def manage():
    return "", 204
