"""A secretariat backs up its database with one command, and a copy restored from it serves
the same pledges behind the same private links (SQLite and PostgreSQL alike)."""
from .support.client import CITY_ANSWERS
from .support.triage import load, sent_pledge, tracker_path


def test_a_restored_backup_serves_the_same_pledges_and_private_links(
        app, app_factory, empty_database, tmp_path):
    pledge_id = sent_pledge(app, city={**CITY_ANSWERS, "city": "Montevideo"})
    link = tracker_path(app, pledge_id)
    reference = load(app, pledge_id).reference
    backup_file = tmp_path / "intake.backup"

    made = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
    assert made.exit_code == 0, made.output
    assert f"Backup written to {backup_file}" in made.output

    restored = app_factory(database_url=empty_database)
    done = restored.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert done.exit_code == 0, done.output

    page = restored.test_client().get(link)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert reference in body
    assert '<strong id="status">Submitted</strong>' in body
    answers = restored.test_client().get(link + "/answers").get_data(as_text=True)
    assert "Montevideo" in answers
    assert restored.test_client().get("/healthz").get_json()["database"] == "ok"


def test_a_backup_is_never_restored_over_a_database_in_use(app, tmp_path):
    backup_file = tmp_path / "intake.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    refused = app.test_cli_runner().invoke(args=["restore", str(backup_file)])
    assert refused.exit_code == 1
    assert "already holds" in refused.output and "restore into an empty one" in refused.output


def test_restore_names_a_missing_backup(app, tmp_path):
    refused = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "none.backup")])
    assert refused.exit_code == 2
    assert "does not exist" in refused.output
