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
