"""The app's own front-end files: static files with a content hash in their URL, and the
packages installed from the npm registry (see package-lock.json)."""
import hashlib
import json
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = PROJECT_ROOT / "node_modules"
VENDOR_ASSETS = {"htmx.min.js": "htmx.org/dist/htmx.min.js"}
ONE_YEAR = 365 * 24 * 3600
ONE_WEEK = 7 * 24 * 3600  # an address without a content hash: changes are seen within a week


def installed_htmx_version():
    package = NODE_MODULES / "htmx.org" / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except OSError:
        return "missing"


def versioned_static_urls(app):
    """Static files carry a hash of their content in the URL, so browsers may keep them a year."""
    hashes = {}

    def add_version(endpoint, values):
        if endpoint != "static" or "filename" not in values or "v" in values:
            return
        filename = values["filename"]
        if filename not in hashes:
            path = Path(app.static_folder) / filename
            hashes[filename] = (hashlib.sha256(path.read_bytes()).hexdigest()[:12]
                                if path.is_file() else "missing")
        values["v"] = hashes[filename]

    app.url_defaults(add_version)


def register(app):
    versioned_static_urls(app)
    app.config.setdefault("HTMX_VERSION", installed_htmx_version())
