"""`make build`: the npm packages' files copied where the app serves them from, and the
catalogues compiled. The app never reads node_modules, and production does not start without
what the build makes."""
import shutil

import pytest

from intake.config import ConfigurationError
from intake.web import assets

HTTPS = "https://pledges.test"


def test_htmx_is_served_from_the_built_folder(client):
    page = client.get("/")
    built = assets.BUILT_VENDOR / "htmx.min.js"
    version = assets.built_versions()["htmx.min.js"]
    assert f"/assets/vendor/htmx.min.js?v={version}" in page.text
    served = client.get(f"/assets/vendor/htmx.min.js?v={version}")
    assert served.status_code == 200 and served.data == built.read_bytes()
    assert served.headers["Cache-Control"] == "public, max-age=31536000"


def test_the_build_copies_each_vendor_file_with_its_version(tmp_path):
    target = tmp_path / "vendor"
    versions = assets.build_vendor(assets.NODE_MODULES, target)
    assert set(versions) == set(assets.VENDOR_ASSETS) and versions["htmx.min.js"][0] == "2"
    assert assets.missing_build_outputs(target, assets.TRANSLATIONS) == []
    assert assets.built_versions(target) == versions


@pytest.fixture
def unbuilt(tmp_path, monkeypatch):
    """A checkout where `make build` was never run: no vendor folder, a catalogue not compiled."""
    translations = tmp_path / "translations"
    shutil.copytree(assets.TRANSLATIONS, translations,
                    ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(assets, "BUILT_VENDOR", tmp_path / "vendor")
    monkeypatch.setattr(assets, "TRANSLATIONS", translations)
    return tmp_path


def test_production_refuses_to_start_unbuilt(unbuilt, app_factory, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigurationError, match=r"not built .*htmx\.min\.js.*fr/LC_MESSAGES/"
                                                 r"messages\.mo.*run `make build`"):
        app_factory(BASE_URL=HTTPS)


def test_development_says_so_in_its_log(unbuilt, app_factory, caplog):
    app_factory()
    assert any("run `make build`" in record.getMessage() for record in caplog.records)
