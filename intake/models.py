"""Database tables. The rules about pledges live in intake/pledges.py, not here."""
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .clock import utcnow
from .extensions import db

# The queue's order within a review state, and the columns its update states read
# (pledges/update_states.py): the ends of the queue's indexes (see Pledge.__table_args__).
QUEUE_ORDER = ("review_state", "submitted_at", "id")
UPDATE_COLUMNS = ("last_report_at", "accepted_at", "implementation_stage")


class Pledge(db.Model):
    __tablename__ = "pledge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    review_state: Mapped[str] = mapped_column(String(30), default="draft", index=True)
    furthest_step: Mapped[int] = mapped_column(Integer, default=0)
    # The opaque part of the pledge's own reply address (INBOUND_ADDRESS plus-addressed): set
    # the first time an email to the city carries it; a reply to it lands on this pledge.
    reply_token: Mapped[str | None] = mapped_column(String(43), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the city contact last did something with the pledge (reminders count from it).
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the city last sent a progress report (None: never); the queue's update states
    # (update due, overdue, never received) read it.
    last_report_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_update_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Reminder bookkeeping (see intake/reminders.py): how many were sent, the due time of the
    # last one sent, and when the next one falls due (indexed: the sweep reads only due rows).
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    reminder_last_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_reminder_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                             index=True)
    # Steps kept with "Save and come back later" before their answers were complete: each
    # step's answers exactly as typed ({step slug: {field name: [values]}}), shown again on
    # return. A step leaves it once its answers pass their checks (pledges/answers.py).
    incomplete_steps: Mapped[dict | None] = mapped_column(JSON)

    # Step 1: city and contact
    city: Mapped[str | None] = mapped_column(String(120))
    country_code: Mapped[str | None] = mapped_column(String(2))
    leader_name: Mapped[str | None] = mapped_column(String(120))
    leader_title: Mapped[str | None] = mapped_column(String(120))
    marrakech_signatory: Mapped[str | None] = mapped_column(String(10))
    focal_name: Mapped[str | None] = mapped_column(String(120))
    focal_role: Mapped[str | None] = mapped_column(String(120))
    focal_email: Mapped[str | None] = mapped_column(String(254), index=True)
    focal_phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="en")
    # When the focal point's data was erased (on request, or a forgotten draft's by the
    # retention sweep: intake/privacy); the focal_* fields are then empty.
    contact_erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Steps 3 to 6: the pledge itself (what, when, results, budget and support)
    title: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    commitment: Mapped[str | None] = mapped_column(Text)
    commitment_kind: Mapped[str | None] = mapped_column(String(20))
    commitment_novelty: Mapped[str | None] = mapped_column(String(20))
    target_groups: Mapped[list] = mapped_column(JSON, default=list)
    target_groups_other: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[datetime | None] = mapped_column(Date)
    end_date: Mapped[datetime | None] = mapped_column(Date)
    ongoing: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_results: Mapped[str | None] = mapped_column(Text)
    progress_measures: Mapped[str | None] = mapped_column(Text)
    budget_amount = mapped_column(Numeric(16, 2), nullable=True)
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    funding_status: Mapped[str | None] = mapped_column(String(20))
    support_sought: Mapped[list] = mapped_column(JSON, default=list)
    support_details: Mapped[str | None] = mapped_column(Text)
    implementation_stage: Mapped[str | None] = mapped_column(String(20))

    # Step 7: alignment with the Global Compacts (optional)
    gcm_objectives: Mapped[list] = mapped_column(JSON, default=list)
    gcr_objectives: Mapped[list] = mapped_column(JSON, default=list)

    # Step 8 (check your answers): consent
    consent_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_contact: Mapped[bool] = mapped_column(Boolean, default=False)

    # Triage (coordinators)
    region: Mapped[str | None] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("pledge.id"))
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Optimistic locking: two coordinators saving the same pledge cannot overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    # The queue filters by one column and shows pages by state and date: each filter's index
    # ends with the state, the date and the id, so counting and paging read the index alone;
    # then with what the update states read (UPDATE_COLUMNS, migration 0012), so that their
    # counts do too (after the unique id, they leave the order as it was).
    __table_args__ = (
        db.Index("ix_pledge_review_state_submitted_at", *QUEUE_ORDER, *UPDATE_COLUMNS),
        db.Index("ix_pledge_region", "region", *QUEUE_ORDER, *UPDATE_COLUMNS),
        db.Index("ix_pledge_assignee_id", "assignee_id", *QUEUE_ORDER, *UPDATE_COLUMNS),
        db.Index("ix_pledge_country_code", "country_code", *QUEUE_ORDER, *UPDATE_COLUMNS),
        db.Index("ix_pledge_city_lower", func.lower(text("city")), "id"),
        db.Index("ix_pledge_submitted_at", "submitted_at", "id", "review_state",
                 postgresql_where=text("review_state != 'draft'"),
                 sqlite_where=text("review_state != 'draft'")),
    )

    assignee: Mapped["Coordinator | None"] = relationship(foreign_keys=[assignee_id])

    co_pledging_cities: Mapped[list["CoPledgingCity"]] = relationship(
        back_populates="pledge",
        cascade="all, delete-orphan",
        order_by="CoPledgingCity.position",
    )
    action_areas: Mapped[list["PledgeActionArea"]] = relationship(
        back_populates="pledge",
        cascade="all, delete-orphan",
        order_by="PledgeActionArea.area",
    )

    @property
    def action_area_slugs(self):
        return [row.area for row in self.action_areas]


class CoPledgingCity(db.Model):
    """Another city joining this pledge (a joint pledge)."""

    __tablename__ = "co_pledging_city"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    city: Mapped[str] = mapped_column(String(120))
    country_code: Mapped[str] = mapped_column(String(2))

    pledge: Mapped[Pledge] = relationship(back_populates="co_pledging_cities")


class PledgeActionArea(db.Model):
    """One action area a pledge contributes to (a row each, so the queue can filter by area)."""

    __tablename__ = "pledge_action_area"

    pledge_id: Mapped[int] = mapped_column(
        ForeignKey("pledge.id", ondelete="CASCADE"), primary_key=True
    )
    area: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (db.Index("ix_pledge_action_area_area", "area", "pledge_id"),)

    pledge: Mapped[Pledge] = relationship(back_populates="action_areas")


class AccessToken(db.Model):
    """A private link to one pledge. Only the SHA-256 of the token is stored."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20), default="resume")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    pledge: Mapped[Pledge] = relationship()


class ReferenceCounter(db.Model):
    """The last reference number handed out in a year (CTA-2026-0042)."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class InformationRequest(db.Model):
    """Questions a coordinator asks the city; unanswered ones are reminded."""

    __tablename__ = "information_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    questions: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer: Mapped[str | None] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator.id", ondelete="SET NULL"))
    # A question about one progress report (asked once the pledge is accepted), or None.
    progress_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_report.id", ondelete="SET NULL"))


class OutboxEmail(db.Model):
    """An email to send, written in the same transaction as the event that causes it."""

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Whose fault the last failed attempt was (intake/email/faults.py): recipient, setup,
    # temporary or message; None once sent.
    fault: Mapped[str | None] = mapped_column(String(20))
    # When the last attempt ended, sent or not: the newest says whether sending works.
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    pledge_id: Mapped[int | None] = mapped_column(
        ForeignKey("pledge.id", ondelete="SET NULL"), index=True)
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (db.Index("ix_outbox_email_status_next_attempt_at", "status",
                               "next_attempt_at"),)


class EmailSuppression(db.Model):
    """An address we must not write to: scope "all" after the recipient's server refused it for
    good (a hard bounce; an admin may lift it), "reminders" after an unsubscribe
    (acknowledgements of the person's own actions still go)."""

    __tablename__ = "email_suppression"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Coordinator(db.Model):
    """A person of the Mayors Mechanism who triages pledges. Roles: admin, coordinator, partner
    (a partner may read everything and change nothing)."""

    __tablename__ = "coordinator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="coordinator")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The language of the emails written to this person alone (as a pledge's assignee);
    # none chosen: English.
    language: Mapped[str | None] = mapped_column(String(5), default="en")

    # The secret of the server-side session this object was signed in or loaded with (not a
    # column: the table keeps only its hash, in coordinator_session).
    session_secret = None

    # Flask-Login
    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.active

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        """What the signed session cookie names: the server-side session, never the account
        alone (accounts/sessions.py). Flask-Login asks when it signs someone in; an account
        object running in no session yet (one signed in directly, as tests and benchmarks do)
        names a new one each time, begun when the cookie naming it is written."""
        from .accounts.sessions import name_unborn, user_id

        return user_id(self.session_secret or name_unborn(self))

    @property
    def can_change(self):
        return self.role in ("admin", "coordinator")

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def display_name(self):
        return self.name or self.email

    @property
    def email_language(self):
        """The language of the emails written to this person alone; English until chosen."""
        return self.language or "en"


class CoordinatorSession(db.Model):
    """One signed-in browser of a coordinator. Its random id travels in the signed session
    cookie; only the SHA-256 of it is stored. Ended on sign-out (that session), a password
    change or a deactivation (every session of the account), or by an admin."""

    __tablename__ = "coordinator_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("coordinator.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_reason: Mapped[str | None] = mapped_column(String(30))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    coordinator: Mapped[Coordinator] = relationship()


class StatusChange(db.Model):
    """One step in a pledge's history, on one of its two axes: its review state, or (once
    accepted) its implementation stage. A public change is shown to the city."""

    __tablename__ = "status_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    axis: Mapped[str] = mapped_column(String(20))  # "review" or "implementation"
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(254))  # who, as shown on the timeline
    message: Mapped[str | None] = mapped_column(Text)  # to the city, or the stage's narrative


class Note(db.Model):
    """An internal note: coordinators only, never shown to the city."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A comment on one progress report, or None.
    progress_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_report.id", ondelete="SET NULL"))


class AuditEntry(db.Model):
    """Who changed what, when, from what to what. Written in the same transaction as the change;
    the app has no way to edit or delete it, except that erasing a contact (intake/privacy)
    scrubs their identifiers out of before and after."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(20))  # coordinator, city, system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    pledge_id: Mapped[int | None] = mapped_column(
        ForeignKey("pledge.id", ondelete="SET NULL"), index=True)
    coordinator_id: Mapped[int | None] = mapped_column(Integer)  # an account the change was about
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)


class ProgressReport(db.Model):
    """What a city reports on an accepted pledge's implementation, through its private link: a
    draft until sent, then one dated entry of the pledge's public history (the register shows
    it, the coordinators see it on the timeline). The stage it gives becomes the pledge's."""

    __tablename__ = "progress_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="draft")  # "draft" or "sent"
    stage: Mapped[str | None] = mapped_column(String(20))  # planning, in-progress, fulfilled
    done: Mapped[str | None] = mapped_column(Text)  # what was done since the last report
    results: Mapped[str | None] = mapped_column(Text)  # against the measures the pledge named
    share_delivered: Mapped[int | None] = mapped_column(Integer)  # 0-100, optional
    evidence_links: Mapped[list] = mapped_column(JSON, default=list)
    help_needed: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), default="en")  # what it was written in
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A draft saved before its answers all passed their checks: every answer exactly as typed
    # ({field name: [values]}), shown again on return; None once they pass.
    typed: Mapped[dict | None] = mapped_column(JSON)
    # The random key of the form the report was last saved or sent from: a second click on
    # "Send" carries the same key and finds the report the first click sent.
    form_key: Mapped[str | None] = mapped_column(String(64), index=True)

    # At most one draft per pledge.
    __table_args__ = (db.Index("uq_progress_report_one_draft", "pledge_id", unique=True,
                               postgresql_where=text("state = 'draft'"),
                               sqlite_where=text("state = 'draft'")),)

    pledge: Mapped[Pledge] = relationship()


class SupportOffer(db.Model):
    """A partner's offer of support for a pledge in the register, handled by the coordinators
    as a match: proposed, introduced (each side given the other's contact), agreed, closed."""

    __tablename__ = "support_offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # funding, technical-assistance, ...
    offer: Mapped[str] = mapped_column(Text)  # what is offered
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    state: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    # A partner account this match belongs to (it sees the matches it is in).
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator.id", ondelete="SET NULL"), index=True)
    # The city's consent to share its contact with this partner, asked on its private status
    # page (intake/matching): when it was asked, and when it agreed or declined.
    city_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    city_consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    city_declined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    pledge: Mapped[Pledge] = relationship()


class SupportOfferMove(db.Model):
    """One dated move of a match between its states (audited as well)."""

    __tablename__ = "support_offer_move"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("support_offer.id", ondelete="CASCADE"),
                                          index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(254))
    message: Mapped[str | None] = mapped_column(Text)


class PledgeContact(db.Model):
    """Another person who writes about a pledge (a colleague in copy, a forward's sender), added
    by a coordinator: their messages then count as the city's, as its focal point's do."""

    __tablename__ = "pledge_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (db.UniqueConstraint("pledge_id", "email"),)


class ArchiveImport(db.Model):
    """One import of the old inbox (an mbox file, a folder of .eml files) or of its spreadsheet
    (CSV), run as a job on the worker: its progress, and the file's digest, so that importing
    the same file again creates nothing new."""

    __tablename__ = "archive_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # mbox, eml, csv
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")  # queued running done failed
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)  # messages or pledges new to the app
    # Messages of the file that could not be read (counted in done, not in created), and a note
    # on the first of them: [{"position": its place in the file, from 1, "reason": why}].
    left_out: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notes: Mapped[list | None] = mapped_column(JSON, default=list)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)  # CSV: column -> pledge field
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InboundMessage(db.Model):
    """An email that reached the app (polled over IMAP, delivered over LMTP/SMTP, or imported
    from the old archive), stored once by its Message-ID, and the pledge it landed on, if any:
    a message on no pledge waits in the coordinators' tray."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Without angle brackets; a message without one gets "sha256-<digest of its bytes>".
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    via: Mapped[str] = mapped_column(String(10))  # imap, lmtp, import
    from_address: Mapped[str | None] = mapped_column(String(254), index=True)
    from_name: Mapped[str | None] = mapped_column(String(200))
    to_addresses: Mapped[list] = mapped_column(JSON, default=list)
    cc_addresses: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(998), default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # its Date header
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    in_reply_to: Mapped[str | None] = mapped_column(String(255), index=True)
    references: Mapped[list] = mapped_column(JSON, default=list)  # Message-IDs, oldest first
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str | None] = mapped_column(Text)  # as sent: sanitised when shown
    pledge_id: Mapped[int | None] = mapped_column(
        ForeignKey("pledge.id", ondelete="SET NULL"), index=True)
    # How it found its pledge: reply_token, thread, reference, coordinator, import; None: tray.
    matched_by: Mapped[str | None] = mapped_column(String(20))
    from_someone_new: Mapped[bool] = mapped_column(Boolean, default=False)
    # What a machine sent: auto_reply, delivery_status (RFC 3464); None for a person.
    machine: Mapped[str | None] = mapped_column(String(20))
    # In the tray: unmatched (waiting for a coordinator), spam; None once on a pledge.
    tray_state: Mapped[str | None] = mapped_column(String(20), index=True)
    archive_import_id: Mapped[int | None] = mapped_column(
        ForeignKey("archive_import.id", ondelete="SET NULL"), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)  # bytes, as received

    attachments = relationship("InboundAttachment", order_by="InboundAttachment.id",
                               cascade="all, delete-orphan")


class InboundAttachment(db.Model):
    """A file attached to an inbound message: kept (outside the web root, under a name of our
    own) when its type is allowed and its size under the limit, else only named, with why."""

    __tablename__ = "inbound_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_message_id: Mapped[int] = mapped_column(
        ForeignKey("inbound_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))  # as sent (shown, never used as a path)
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str | None] = mapped_column(String(80))  # None when kept out
    kept_out: Mapped[str | None] = mapped_column(String(20))  # too_big, type_refused


class MailboxState(db.Model):
    """How far an IMAP folder has been read: the UIDs seen so far, valid for its UIDVALIDITY."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255), unique=True)  # user@host/folder
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
