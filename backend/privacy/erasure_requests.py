"""Four-eyes on an erasure (RGPD Art. 17): one compliance officer asks, another confirms.

An erasure cannot be undone, and one compliance account erased a client at once: a stolen
session could destroy a file a day's budget at a time (``OCTROI_RATE_LIMIT_ERASURE_PER_DAY``).
Now the first ``DELETE /privacy/clients/{id}`` records a request and erases nothing; the same
call by *another* compliance officer confirms it and erases. The requester cannot confirm their
own request; either officer may refuse (or withdraw) it. A request left pending lapses after
``REQUEST_TTL`` (the month the RGPD gives to answer), and the next call asks anew.

Rows keep the client's pseudonym, never the bank id; they stay once decided (who asked, who
confirmed or refused, when) as long as the audit events that record each step: the retention
purge takes both (``backend.privacy.service.purge``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.audit.actions import AuditAction
from backend.audit.service import recorded_actor
from backend.privacy.models import ErasureRequest

REQUEST_TTL = timedelta(days=30)
Status = Literal["pending", "confirmed", "refused", "expired"]


class SameOfficer(Exception):
    """The officer who asked for the erasure tried to confirm it."""

    def __init__(self, request: ErasureRequest) -> None:
        super().__init__(f"erasure request {request.id} was made by you: another compliance officer must confirm it")
        self.request = request


class NotPending(Exception):
    """No pending request under that number (unknown, decided or lapsed)."""


class NotRecorded(Exception):
    """The request's row says another requester than the audit trail recorded (rewritten)."""


def expires_at(request: ErasureRequest) -> datetime:
    # Loaded rows are UTC-aware on both engines (backend.db's load hook).
    return request.requested_at + REQUEST_TTL


def status_of(request: ErasureRequest, now: datetime) -> Status:
    if request.status == "pending" and expires_at(request) <= now:
        return "expired"
    return request.status  # type: ignore[return-value]


def open_request(db: Session, pseudonyms: Sequence[str], now: datetime) -> ErasureRequest | None:
    """The oldest request still pending for the person (any of their pseudonyms)."""
    return db.scalars(
        select(ErasureRequest)
        .where(ErasureRequest.pseudonym.in_(list(pseudonyms)), ErasureRequest.status == "pending",
               ErasureRequest.requested_at > now - REQUEST_TTL)
        .order_by(ErasureRequest.requested_at, ErasureRequest.id).limit(1)
    ).first()


def ask_or_confirm(db: Session, pseudonyms: Sequence[str], pseudonym: str, officer: str, now: datetime
                   ) -> tuple[ErasureRequest, bool]:
    """(the request, whether it is now confirmed). No pending request: one is recorded for
    ``pseudonym``. One by another officer: confirmed (every pending one of the person's with
    it), and the caller erases in the same transaction. One by ``officer``: ``SameOfficer``."""
    request = open_request(db, pseudonyms, now)
    if request is None:
        request = ErasureRequest(pseudonym=pseudonym, requested_by=officer, requested_at=now, status="pending")
        db.add(request)
        db.flush()
        return request, False
    # Who asked, as the trail recorded it (``requested_by`` is a column the database owner may
    # rewrite to confirm their own request).
    requester = recorded_actor(db, {AuditAction.privacy_erase_request.value: "request"}, request.pseudonym, request.id)
    if requester is None or requester != request.requested_by:
        raise NotRecorded(f"erasure request {request.id} is not the one the audit trail recorded: it cannot be "
                          "confirmed (verify the trail)")
    if requester == officer:
        raise SameOfficer(request)
    confirmed = db.execute(
        update(ErasureRequest)
        .where(ErasureRequest.pseudonym.in_(list(pseudonyms)), ErasureRequest.status == "pending")
        .values(status="confirmed", decided_by=officer, decided_at=now)
    )
    if not confirmed.rowcount:  # type: ignore[attr-defined]
        # PostgreSQL: another officer confirmed (or refused) it while this call waited on the rows.
        raise NotPending(f"erasure request {request.id} was decided meanwhile")
    db.refresh(request)
    return request, True


def refuse(db: Session, request_id: int, officer: str, now: datetime) -> ErasureRequest:
    """Refuse (another officer) or withdraw (its requester) a pending request."""
    request = db.get(ErasureRequest, request_id)
    if request is None or status_of(request, now) != "pending":
        raise NotPending(f"no pending erasure request number {request_id}")
    request.status, request.decided_by, request.decided_at = "refused", officer, now
    db.flush()
    return request


def listing(db: Session, status: Status, now: datetime, limit: int = 200) -> list[ErasureRequest]:
    """The requests in ``status`` (pending ones lapsed are ``expired``), newest first."""
    query = select(ErasureRequest)
    if status in ("pending", "expired"):
        fresh = ErasureRequest.requested_at > now - REQUEST_TTL
        query = query.where(ErasureRequest.status == "pending", fresh if status == "pending" else ~fresh)
    else:
        query = query.where(ErasureRequest.status == status)
    return list(db.scalars(query.order_by(ErasureRequest.requested_at.desc(), ErasureRequest.id.desc()).limit(limit)))

