"""The kinds of email the app sends: each has a subject and a pair of templates,
templates/email/<kind>.txt and .html, rendered in the recipient's language."""
from ..extensions import lazy_gettext as _l
from ..reminders.rules import REMINDER_KINDS

SUBJECTS = {
    "resume_link": _l("Your private link to continue your pledge"),
    "resume_links": _l("Your private links to continue your draft pledges"),
    "acknowledgement": _l("We received your pledge %(reference)s"),
    "coordinator_new_pledge": _l("New pledge %(reference)s from %(city)s"),
    "coordinator_digest": _l("Pledges received on %(day)s"),
    "reminder_draft": _l("Your pledge is waiting for you"),
    "reminder_information": _l("A coordinator is waiting for your answer on %(reference)s"),
    "reminder_update": _l("Time to report progress on %(reference)s"),
    "status_changed": _l("News about your pledge %(reference)s"),
    "information_request": _l("Questions about your pledge %(reference)s"),
    "information_answered": _l("The city answered: %(reference)s"),
    "progress_report_received": _l("Progress report received: %(reference)s (%(city)s)"),
    "offer_received": _l("Thank you for your offer of support to %(city)s"),
    "offer_new": _l("New offer of support for %(reference)s (%(city)s)"),
    "offer_to_city": _l("An offer of support for your pledge %(reference)s"),
    "offer_city_answered": _l("The city answered an offer of support: %(reference)s"),
    "offer_introduced_city": _l("Introducing a partner for your pledge %(reference)s"),
    "offer_introduced_partner": _l("Introducing %(city)s: your offer of support"),
    "offer_declined": _l("Your offer of support to %(city)s"),
    "pledge_withdrawn": _l("%(city)s withdrew its pledge %(reference)s"),
    "draft_invitation": _l("Your city's pledge: a draft is ready for you"),
}
# What the coordinators' email problems page calls each kind.
KIND_LABELS = {
    "resume_link": _l("Private link to continue"),
    "resume_links": _l("Private links to continue drafts"),
    "acknowledgement": _l("Acknowledgement of a sent pledge"),
    "coordinator_new_pledge": _l("New pledge, to the coordinators"),
    "coordinator_digest": _l("Daily digest, to the coordinators"),
    "reminder_draft": _l("Reminder of a draft"),
    "reminder_information": _l("Reminder of a request for information"),
    "reminder_update": _l("Reminder to report progress"),
    "status_changed": _l("News about a pledge"),
    "information_request": _l("Request for information"),
    "information_answered": _l("The city's answer, to the coordinators"),
    "progress_report_received": _l("A city's progress report, to the coordinators"),
    "offer_received": _l("Acknowledgement of an offer of support, to the partner"),
    "offer_new": _l("New offer of support, to the coordinators"),
    "offer_to_city": _l("An offer of support put to the city"),
    "offer_city_answered": _l("The city's answer to an offer, to the coordinators"),
    "offer_introduced_city": _l("Introduction of a partner, to the city"),
    "offer_introduced_partner": _l("Introduction of the city, to the partner"),
    "offer_declined": _l("An offer not taken forward, to the partner"),
    "pledge_withdrawn": _l("A city's withdrawal, to the coordinators"),
    "draft_invitation": _l("Invitation to complete a draft made from an email"),
}
# Emails to the city contact: each carries a fresh private link to the pledge.
CITY_KINDS = ("resume_link", "acknowledgement", "reminder_draft", "reminder_information",
              "reminder_update", "status_changed", "information_request", "offer_to_city",
              "draft_invitation")
# Private links, which share one budget per address (intake/email/outbox.py): a new draft's
# link, and the answer to "email me my link", which lists every draft of the address.
LINK_KINDS = ("resume_link", "resume_links")
# Emails to the city whose private link opens the progress report form (an accepted pledge's).
REPORT_FORM_KINDS = ("reminder_update",)
# Support offers (intake/matching): each carries its offer, read fresh when it is sent.
OFFER_KINDS = ("offer_received", "offer_new", "offer_to_city", "offer_city_answered",
               "offer_introduced_city", "offer_introduced_partner", "offer_declined")
# Emails to coordinators: each links to the pledge's page (the digest, to each pledge's).
COORDINATOR_KINDS = ("coordinator_new_pledge", "coordinator_digest", "information_answered",
                     "progress_report_received", "offer_new", "offer_city_answered",
                     "pledge_withdrawn")
COORDINATOR_PAGE_KINDS = tuple(kind for kind in COORDINATOR_KINDS if kind != "coordinator_digest")
# Emails to a partner who offered support.
PARTNER_KINDS = ("offer_received", "offer_introduced_partner", "offer_declined")
# Why the recipient gets the email, in every email's footer: by who they are to the pledge.
REASONS = {
    "city": _l("You get this email because this address was given as the contact for a "
               "pledge to the Call to Local Action on Migration."),
    "coordinator": _l("You get this email because you coordinate the pledges to the Call to "
                      "Local Action on Migration."),
    "partner": _l("You get this email because you offered support to a pledge to the Call to "
                  "Local Action on Migration."),
}


def audience(kind):
    """Who an email of this kind goes to: "coordinator", "partner" or "city"."""
    if kind in COORDINATOR_KINDS:
        return "coordinator"
    return "partner" if kind in PARTNER_KINDS else "city"


def reason(kind):
    return REASONS[audience(kind)]


def kind_label(kind):
    return KIND_LABELS.get(kind, kind)


def is_reminder(kind):
    """Reminders may be unsubscribed from; acknowledgements of what a person did may not."""
    return kind in REMINDER_KINDS
