"""The register's open data: ONE data dictionary (COLUMNS, and REPORT_FIELDS for the progress
reports a pledge holds) that the CSV, the JSON and the data dictionary page all read, and the
two downloads as generators of text, fed batch by batch (queries.published_batches): memory
stays that of one batch however many pledges are published.

Values are codes, not labels (an action area's slug, a country's ISO code, a Compact
objective's number), so the data reads the same in every language; the dictionary page says
what each code means. No column holds a contact's name, email or phone: the city's focal point
is never published. The mayor or city leader who signs the pledge does so in public office, so
their name and title are published with it (as README's "What we store" says)."""
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app, url_for

from ..catalogue.countries import country_name
from ..clock import utcnow
from ..extensions import lazy_gettext as _l
from ..triage.exports import neutralised
from ..web.paths import public_url
from . import queries


@dataclass(frozen=True)
class Column:
    """One column of the open data: its name (the CSV header, the JSON key), what it means,
    its type, an example, and how its value is read (from a pledge and its sent reports, or
    from a report)."""

    name: str
    meaning: Any
    type: Any
    example: str
    value: Callable


TEXT, DATE, CODES, NUMBERS = _l("text"), _l("date (YYYY-MM-DD)"), _l("list of codes"), \
    _l("list of numbers")


def day(moment):
    if moment is None:
        return None
    return moment.date().isoformat() if hasattr(moment, "date") else moment.isoformat()


@lru_cache(maxsize=512)
def english_country_name(code):
    return country_name(code, "en")


def register_url(reference):
    return public_url("register.pledge", reference=reference)


REPORT_FIELDS = (
    Column("sent_on", _l("The day the city sent the report."), DATE, "2027-06-30",
           lambda report: day(report.sent_at)),
    Column("stage", _l("The implementation stage the report gives: planning, in-progress or "
                       "fulfilled."), TEXT, "in-progress", lambda report: report.stage),
    Column("done", _l("What was done since the previous report."), TEXT,
           "The centre opened in March.", lambda report: report.done),
    Column("results", _l("Results against the measures the pledge named."), TEXT,
           "2,400 newcomers advised.", lambda report: report.results),
    Column("share_delivered", _l("The share of the commitment delivered, in percent (0-100), "
                                 "if the city gave it."), _l("whole number or empty"), "40",
           lambda report: report.share_delivered),
    Column("evidence_links", _l("Links to evidence of the progress."), _l("list of web addresses"),
           "https://city.example/report-2027", lambda report: list(report.evidence_links or [])),
    Column("help_needed", _l("What help the city still needs."), TEXT,
           "Funding for a second centre.", lambda report: report.help_needed),
    Column("language", _l("The language the report is written in (en, fr or es)."), TEXT, "en",
           lambda report: report.language),
)


def report_record(report):
    return {column.name: column.value(report) for column in REPORT_FIELDS}


COLUMNS = (
    Column("reference", _l("The pledge's reference: it names the pledge for good."), TEXT,
           "CTA-2026-0042", lambda pledge, reports: pledge.reference),
    Column("url", _l("The pledge's page in the register, a stable address to cite."),
           _l("web address"), "https://pledges.example/register/CTA-2026-0042",
           lambda pledge, reports: register_url(pledge.reference)),
    Column("city", _l("The city that pledges."), TEXT, "São Paulo",
           lambda pledge, reports: pledge.city),
    Column("country", _l("The city's country, as an ISO 3166-1 alpha-2 code."), TEXT, "BR",
           lambda pledge, reports: pledge.country_code),
    Column("country_name", _l("The country's name in English."), TEXT, "Brazil",
           lambda pledge, reports: english_country_name(pledge.country_code)),
    Column("region", _l("The UN region of the country (M49): Africa, Americas, Asia, Europe "
                        "or Oceania."), TEXT, "Americas", lambda pledge, reports: pledge.region),
    Column("co_pledging_cities", _l("Other cities that joined the pledge, each as City (country "
                                    "code)."), _l("list of texts"), "Campinas (BR)",
           lambda pledge, reports: [f"{city.city} ({city.country_code})"
                                    for city in pledge.co_pledging_cities]),
    Column("leader_name", _l("The mayor or city leader who signs the pledge, in public office."),
           TEXT, "Ricardo Nunes", lambda pledge, reports: pledge.leader_name),
    Column("leader_title", _l("Their title."), TEXT, "Mayor",
           lambda pledge, reports: pledge.leader_title),
    Column("action_areas", _l("The action areas of the Call to Local Action the pledge "
                              "contributes to (slugs; the register's filter names them)."),
           CODES, "essential-services", lambda pledge, reports: pledge.action_area_slugs),
    Column("title", _l("The pledge's title."), TEXT, "Welcome centre for newcomers",
           lambda pledge, reports: pledge.title),
    Column("summary", _l("A summary of the pledge."), TEXT,
           "A one-stop centre where newcomers find advice.",
           lambda pledge, reports: pledge.summary),
    Column("commitment", _l("What the city commits to do."), TEXT,
           "Open and staff a welcome centre.", lambda pledge, reports: pledge.commitment),
    Column("target_groups", _l("The groups of migrants and refugees the pledge is for "
                               "(codes)."), CODES, "refugees",
           lambda pledge, reports: list(pledge.target_groups or [])),
    Column("target_groups_other", _l("Other groups, in the city's words."), TEXT,
           "Seasonal workers",
           lambda pledge, reports: pledge.target_groups_other),
    Column("start_date", _l("When the work starts."), DATE, "2027-01-15",
           lambda pledge, reports: day(pledge.start_date)),
    Column("end_date", _l("When it ends (empty when ongoing)."), DATE, "2029-12-31",
           lambda pledge, reports: day(pledge.end_date)),
    Column("ongoing", _l("Whether the work goes on with no end date."), _l("true or false"),
           "false", lambda pledge, reports: bool(pledge.ongoing)),
    Column("implementation_stage", _l("How far the city has come: planning, in-progress or "
                                      "fulfilled."), TEXT, "planning",
           lambda pledge, reports: pledge.implementation_stage),
    Column("support_sought", _l("The support the city seeks: funding, technical, "
                                "peer-exchange, partnerships, data."), CODES, "technical",
           lambda pledge, reports: list(pledge.support_sought or [])),
    Column("support_details", _l("What support the city seeks, in its words."), TEXT,
           "Advice on case management software.",
           lambda pledge, reports: pledge.support_details),
    Column("gcm_objectives", _l("Objectives of the Global Compact for Safe, Orderly and Regular "
                                "Migration the pledge aligns with (numbers 1-23)."), NUMBERS,
           "15", lambda pledge, reports: list(pledge.gcm_objectives or [])),
    Column("gcr_objectives", _l("Objectives of the Global Compact on Refugees the pledge aligns "
                                "with (numbers 1-4)."), NUMBERS, "2",
           lambda pledge, reports: list(pledge.gcr_objectives or [])),
    Column("language", _l("The language the pledge is written in (en, fr or es)."), TEXT, "en",
           lambda pledge, reports: pledge.language),
    Column("accepted_on", _l("The day the Mayors Mechanism accepted the pledge."), DATE,
           "2026-03-02", lambda pledge, reports: day(pledge.accepted_at)),
    Column("progress_reports", _l("Every progress report the city sent, newest first, each "
                                  "with the fields below (in the CSV, as JSON text)."),
           _l("list of reports"), '[{"sent_on": "2027-06-30", ...}]',
           lambda pledge, reports: [report_record(report) for report in reports]),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)


def record(pledge, reports):
    """A published pledge as the open data holds it: {column name: value}."""
    return {column.name: column.value(pledge, reports) for column in COLUMNS}


def licence():
    return {"name": current_app.config["REGISTER_LICENCE"],
            "url": current_app.config["REGISTER_LICENCE_URL"]}


def metadata():
    base = current_app.config["BASE_URL"]
    return {"title": "Call to Local Action on Migration: public register of pledges",
            "publisher": "Mayors Mechanism (UCLG, Mayors Migration Council, IOM)",
            "licence": licence(), "generated_at": utcnow().isoformat(timespec="seconds"),
            "data_dictionary": base + url_for("register.data"),
            "source": base + url_for("register.index"), "columns": list(COLUMN_NAMES)}


# --- CSV ------------------------------------------------------------------------------------


def csv_cell(value):
    """Lists of codes or texts joined by "; ", lists of reports as JSON text; then protected
    against spreadsheet formulas (as the coordinators' downloads are)."""
    if value is None:
        cell = ""
    elif isinstance(value, bool):
        cell = "true" if value else "false"
    elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
        cell = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, list):
        cell = "; ".join(str(item) for item in value)
    else:
        cell = value
    return neutralised(cell)


def csv_lines():
    """The CSV, a batch of rows per chunk; a BOM first, so that Excel reads UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMN_NAMES)
    for batch in queries.published_batches():
        for pledge, reports in batch:
            writer.writerow([csv_cell(value) for value in record(pledge, reports).values()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


# --- JSON -----------------------------------------------------------------------------------


def json_chunks():
    """{"metadata": {...}, "pledges": [...]}, a batch of pledges per chunk."""
    yield '{"metadata": ' + json.dumps(metadata(), ensure_ascii=False) + ', "pledges": ['
    first = True
    for batch in queries.published_batches():
        parts = [json.dumps(record(pledge, reports), ensure_ascii=False)
                 for pledge, reports in batch]
        yield ("" if first else ", ") + ", ".join(parts)
        first = False
    yield "]}\n"
