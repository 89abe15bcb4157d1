"""The app's own front-end files: static files with a content hash in their URL, and the
packages installed from the npm registry (see package-lock.json), copied by the build step
(`make build`, which runs scripts/build-assets) into intake/static/vendor/: the app
serves them from there, never from node_modules."""
import hashlib
import json
import shutil
from pathlib import Path

from ..config import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = PROJECT_ROOT / "node_modules"
BUILT_VENDOR = PROJECT_ROOT / "intake" / "static" / "vendor"
TRANSLATIONS = PROJECT_ROOT / "intake" / "translations"
MANIFEST = "manifest.json"
# Served name -> (npm package, file in it).
VENDOR_ASSETS = {"htmx.min.js": ("htmx.org", "dist/htmx.min.js")}
ONE_YEAR = 365 * 24 * 3600
ONE_WEEK = 7 * 24 * 3600  # an address without a content hash: changes are seen within a week


def build_vendor(node_modules=NODE_MODULES, target=BUILT_VENDOR):
    """Copy each vendor file (and its precompressed .gz) out of node_modules, with a manifest
    of the packages' versions."""
    target.mkdir(parents=True, exist_ok=True)
    versions = {}
    for name, (package, relative) in VENDOR_ASSETS.items():
        source = node_modules / package / relative
        shutil.copyfile(source, target / name)
        if source.with_name(source.name + ".gz").is_file():
            shutil.copyfile(source.with_name(source.name + ".gz"), target / (name + ".gz"))
        versions[name] = json.loads((node_modules / package / "package.json").read_text())[
            "version"]
    (target / MANIFEST).write_text(json.dumps(versions, indent=2) + "\n")
    return versions


def built_versions(target=BUILT_VENDOR):
    try:
        return json.loads((target / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def missing_build_outputs(vendor=BUILT_VENDOR, translations=TRANSLATIONS):
    """What the build step makes and is not there: vendor files, compiled catalogues."""
    missing = [str(vendor / name) for name in VENDOR_ASSETS if not (vendor / name).is_file()]
    for catalogue in translations.glob("*/LC_MESSAGES/messages.po"):
        if not catalogue.with_suffix(".mo").is_file():
            missing.append(str(catalogue.with_suffix(".mo")))
    return missing


def check_built(app):
    """Without the build's outputs pages would come without htmx or in English only: production
    refuses to start, development says so in its log."""
    missing = missing_build_outputs(BUILT_VENDOR, TRANSLATIONS)
    if not missing:
        return
    message = ("The front-end assets or compiled translations are not built (missing: "
               + ", ".join(missing) + "): run `make build`.")
    if app.config.get("APP_ENV") == "production":
        raise ConfigurationError(message)
    app.logger.error(message)


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
    check_built(app)
    versioned_static_urls(app)
    app.config.setdefault("HTMX_VERSION", built_versions().get("htmx.min.js", "missing"))

