"""Blueprint for coordinators: importing the old archive (mail and spreadsheet) at
/triage/imports; its rules in intake/inbound/archive.py and archive_csv.py."""
