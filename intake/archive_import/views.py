"""The archive imports: upload a file, map a CSV's columns, follow an import's progress. A view
parses, calls one rule of intake/inbound/archive.py (or archive_csv.py), commits, renders."""
from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..accounts.access import may_change
from ..email.enqueue import enqueue_import
from ..extensions import db
from ..inbound import archive, archive_csv
from ..models import ArchiveImport
from ..web.errors import error_summary
from ..web.htmx import redirect_after_post, render
from .forms import ConfirmForm, UploadForm, mapping_form

bp = Blueprint("archive_import", __name__, url_prefix="/triage/imports")
RECENT = 20


@bp.url_value_preprocessor
def allow_big_uploads(endpoint, _values):
    """An old archive is larger than any other form's post: its own limit, set before the
    security-token check (a before_request of the app) reads the form."""
    if endpoint == "archive_import.upload":
        request.max_content_length = current_app.config["ARCHIVE_UPLOAD_MAX_BYTES"]


def imports_page(form, status=200):
    recent = db.session.scalars(select(ArchiveImport).order_by(ArchiveImport.id.desc())
                                .limit(RECENT)).all()
    return render_template("archive_import/imports.html", form=form, imports=recent), status


@bp.get("")
@may_change
def imports():
    return imports_page(UploadForm())


@bp.post("")
@may_change
def upload():
    form = UploadForm()
    if not form.validate():
        return imports_page(form, 400)
    upload_file = form.archive.data
    try:
        found, new = archive.start(upload_file.filename, upload_file.read(),
                                   current_app.instance_path, current_user.id,
                                   check=archive_csv.check)
    except archive.ArchiveProblem as problem:
        form.archive.errors.append(str(problem))
        return imports_page(form, 400)
    db.session.commit()
    if not new:
        flash(_("This file was imported before: nothing new was created. "
                "Here is that import."))
    elif found.state == "queued":
        enqueue_import(found.id)
    return redirect_after_post(url_for("archive_import.one", import_id=found.id))


def import_page(found, form=None, status=200):
    """The import's page; for a CSV waiting for its columns, the preview and the mapping form
    (`form` as posted, with its errors, or a new one with the guessed fields)."""
    context = {"found": found, "progress": archive.progress(found), "confirm": ConfirmForm(),
               "errors": []}
    if found.state == "mapping":
        header, rows, total, guessed = archive_csv.preview(current_app.instance_path, found)
        context.update(header=header, rows=rows, total_rows=total,
                       mapping=form or mapping_form(header, guessed), **error_summary(form))
    return render("archive_import/import.html", "archive_import/_progress.html", status,
                  **context)


@bp.get("/<int:import_id>")
@may_change
def one(import_id):
    return import_page(db.get_or_404(ArchiveImport, import_id))


@bp.post("/<int:import_id>/mapping")
@may_change
def choose_mapping(import_id):
    found = db.get_or_404(ArchiveImport, import_id)
    if found.state != "mapping":
        return redirect_after_post(url_for("archive_import.one", import_id=found.id))
    header, _rows, _total, guessed = archive_csv.preview(current_app.instance_path, found)
    form = mapping_form(header, guessed)
    if not form.validate():
        return import_page(found, form, 400)
    archive_csv.choose_mapping(found, form.mapping())
    db.session.commit()
    enqueue_import(found.id)
    return redirect_after_post(url_for("archive_import.one", import_id=found.id))


@bp.post("/<int:import_id>/start")
@may_change
def start_again(import_id):
    """An import whose job was lost (Redis down) or that failed part way: run it again; what
    it already stored is skipped."""
    found = db.get_or_404(ArchiveImport, import_id)
    if not ConfirmForm().validate():
        abort(400)
    if found.state in ("queued", "failed"):
        found.state = "queued"
        db.session.commit()
        enqueue_import(found.id)
    return redirect_after_post(url_for("archive_import.one", import_id=found.id))
