"""Database tables. The rules about pledges live in intake/pledges.py, not here."""
from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow():
    return datetime.now(timezone.utc)


class Pledge(db.Model):
    __tablename__ = "pledge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    review_state: Mapped[str] = mapped_column(String(30), default="draft", index=True)
    furthest_step: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the city contact last did something with the pledge (reminders count from it).
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_update_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Reminder bookkeeping (see intake/reminders.py): how many were sent, the due time of the
    # last one sent, and when the next one falls due (indexed: the sweep reads only due rows).
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    reminder_last_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_reminder_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                             index=True)

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

    # Step 3: the pledge itself
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

    # Step 4: alignment with the Global Compacts (optional)
    gcm_objectives: Mapped[list] = mapped_column(JSON, default=list)
    gcr_objectives: Mapped[list] = mapped_column(JSON, default=list)

    # Step 5: consent
    consent_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_contact: Mapped[bool] = mapped_column(Boolean, default=False)

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
    area: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

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
    pledge_id: Mapped[int | None] = mapped_column(
        ForeignKey("pledge.id", ondelete="SET NULL"), index=True)
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (db.Index("ix_outbox_email_status_next_attempt_at", "status",
                               "next_attempt_at"),)


class EmailSuppression(db.Model):
    """An address we must not write to: scope "all" after a permanent failure, "reminders"
    after an unsubscribe (acknowledgements of the person's own actions still go)."""

    __tablename__ = "email_suppression"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
