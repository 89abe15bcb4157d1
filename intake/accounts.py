"""Coordinator accounts: sign in and out, lockout, and the admins' account management."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)
