"""Decisions with a lifecycle (no HTTP here: routes and tests call it; callers audit and commit).

- ``decide``: the advisor's decision beside the model's recommendation, with a snapshot of the
  application the model saw. When the client already has a decision the new one is a
  *revision* of it: it must change the verdict (``decision_unchanged`` otherwise: a revision
  that keeps it would only inflate the compliance report's revisions) and needs a reason;
  while a contest is open only its review may change it.
- ``contest``: the applicant contests the decision in force (their point of view is recorded
  by an advisor; Consumer Credit Directive 2023/2225 art. 18, GDPR art. 22(3)).
- ``review``: another advisor than the one who took the contested decision upholds it or
  revises it (a new decision, with the reviewer's reason).
- ``reproduce``: recompute a past decision's score and explanation from its snapshot with its
  model version and say "identical" or exactly what differs.

Every write names the state its advisor read, and is refused with 409 ``decision_changed``
(changing nothing) when the client's file moved on meanwhile: ``decide`` the decision in force
(``revises``, null for a first one), ``contest`` the decision contested (``decision_superseded``
when a revision replaced it), ``review`` the contested decision and, optionally, the open
contest read. The three take a per-client lock first (PostgreSQL advisory lock; SQLite's
``BEGIN IMMEDIATE`` already serializes writers), so two advisors clicking at once are judged one
after the other: the second one against what the first one did.

A review's outcome is final for the advisor whose decision was contested (``review_final``,
403): they may neither revise the decision the review kept or made, nor review a new contest of
it. Another advisor may still revise it (a second pair of eyes, with a reason, like any
revision), and the applicant may contest it again; so the four-eyes rule of the review cannot
be undone by the one person it is there to check.

Nothing here stores a probability or an explanation value (invariant 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from backend.audit.models import AuditEvent, AuditPending
from backend.audit.service import anchor_dicts, events_where
from backend.audit.verification import RECORDED_DECISION
from backend.clients.models import StoredClient
from backend.decisions.models import DecisionContest, DecisionSnapshot
from backend.privacy.models import AdvisorDecision
from security.audit_chain import anchor_problem

DECISION_ACTIONS = ("decision.record", "decision.review")


class LifecycleError(ValueError):
    """A request the lifecycle refuses: ``field`` names what is wrong, ``code`` is stable."""

    def __init__(self, code: str, field: str | None, message: str, status: int = 422, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message
        self.status = status
        self.details = details  # for the refusal's audit event (ids, never free text)


# The lifecycle's advisory locks (PostgreSQL), one per client: (this space, hashtext(pseudonym)).
# "octd" in ASCII; a two-key lock never meets the one-key locks of the audit chain or the users.
CLIENT_LOCK_SPACE = 0x6F637464
_LOCK_CLIENT = text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:pseudonym))")


def lock_client(db: Session, pseudonym: str) -> None:
    """Serialize the lifecycle's writes on one client until the transaction ends (PostgreSQL;
    on SQLite the request's ``BEGIN IMMEDIATE`` already holds the one write lock). Reads after
    it see what a concurrent request committed (READ COMMITTED)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(_LOCK_CLIENT, {"space": CLIENT_LOCK_SPACE, "pseudonym": pseudonym})


# ----------------------------------------------------------------------------- reading


def history(db: Session, candidates: list[str]) -> list[AdvisorDecision]:
    return list(db.scalars(
        select(AdvisorDecision).where(AdvisorDecision.pseudonym.in_(candidates)).order_by(AdvisorDecision.id)
    ).all())


def contests_of(db: Session, decision_ids: list[int]) -> dict[int, list[DecisionContest]]:
    out: dict[int, list[DecisionContest]] = {}
    if not decision_ids:
        return out
    for row in db.scalars(
        select(DecisionContest).where(DecisionContest.decision_id.in_(decision_ids)).order_by(DecisionContest.id)
    ):
        out.setdefault(row.decision_id, []).append(row)
    return out


def current_decision(db: Session, candidates: list[str]) -> AdvisorDecision | None:
    return db.scalars(
        select(AdvisorDecision).where(AdvisorDecision.pseudonym.in_(candidates))
        .order_by(AdvisorDecision.id.desc()).limit(1)
    ).first()


def open_contest(db: Session, decision_id: int) -> DecisionContest | None:
    return db.scalars(
        select(DecisionContest).where(DecisionContest.decision_id == decision_id, DecisionContest.status == "open")
    ).first()


def reviewed_authors(db: Session, row: AdvisorDecision) -> set[str]:
    """The advisors whose contested decision a review turned into ``row``: its own author when a
    review upheld it, the contested decision's author when ``row`` is a review's revision. The
    review's outcome is final for them (``review_final``)."""
    reviews = db.scalars(select(DecisionContest).where(or_(
        (DecisionContest.decision_id == row.id) & (DecisionContest.status == "upheld"),
        DecisionContest.revision_id == row.id,
    ))).all()
    authors: set[str] = set()
    for review in reviews:
        contested = row if review.decision_id == row.id else db.get(AdvisorDecision, review.decision_id)
        if contested is not None:
            authors.add(contested.advisor)
    return authors


def _in_force_changed(previous: AdvisorDecision | None, revises: int | None) -> LifecycleError:
    read = f"decision {revises}" if revises is not None else "no decision"
    now = f"decision {previous.id} ({previous.decision})" if previous is not None else "no decision"
    return LifecycleError(
        "decision_changed", "revises",
        f"the client's file changed: you read {read} in force, {now} is in force now; read the history "
        "again before deciding", status=409, in_force=previous.id if previous is not None else None,
    )


# ----------------------------------------------------------------------------- writing


def snapshot(db: Session, client: StoredClient, input_hash: str) -> DecisionSnapshot:
    """The client's application as the model sees it now (one row per distinct input)."""
    existing = db.scalars(
        select(DecisionSnapshot).where(
            DecisionSnapshot.pseudonym == client.pseudonym, DecisionSnapshot.input_hash == input_hash
        ).limit(1)
    ).first()
    if existing is not None:
        return existing
    row = DecisionSnapshot(
        pseudonym=client.pseudonym, key_version=client.key_version, input_hash=input_hash,
        features=dict(client.features), captured_at=datetime.now(UTC),
    )
    db.add(row)
    db.flush()
    return row


@dataclass(frozen=True)
class Scored:
    """What the model said, as far as a decision keeps it (never the probability)."""

    recommendation: str
    model_version: str
    input_hash: str


def decide(
    db: Session, *, client: StoredClient, candidates: list[str], scored: Scored, decision: str,
    reason: str | None, advisor: str, revises: int | None,
) -> AdvisorDecision:
    """A first decision, or a revision of the one in force. ``LifecycleError`` when refused.

    ``revises`` is the decision the advisor read as in force (None: they read none); another one
    in force now is ``decision_changed`` (409), checked first: every other answer would be about a
    decision the advisor has not seen."""
    lock_client(db, client.pseudonym)
    previous = current_decision(db, candidates)
    if (previous.id if previous is not None else None) != revises:
        raise _in_force_changed(previous, revises)
    is_override = decision != scored.recommendation
    if previous is not None:
        if open_contest(db, previous.id) is not None:
            raise LifecycleError(
                "decision_contested", "decision",
                f"decision {previous.id} is contested: another advisor must review it first", status=409,
            )
        if advisor in reviewed_authors(db, previous):
            raise LifecycleError(
                "review_final", "decision",
                f"decision {previous.id} is the outcome of a review of your decision: another advisor may "
                "revise it, or the applicant may contest it again", status=403,
            )
        if decision == previous.decision:
            raise LifecycleError(
                "decision_unchanged", "decision",
                f"a revision must change the decision in force ({previous.decision}); nothing to revise",
            )
        if not reason:
            raise LifecycleError(
                "reason_required", "reason",
                f"required to revise decision {previous.id} ({previous.decision}): say why it changes",
            )
    elif is_override and not reason:
        raise LifecycleError(
            "reason_required", "reason",
            f"required when the decision departs from the model's recommendation ({scored.recommendation})",
        )
    shot = snapshot(db, client, scored.input_hash)
    row = AdvisorDecision(
        pseudonym=client.pseudonym, decision=decision, recommendation=scored.recommendation,
        is_override=is_override, model_version=scored.model_version, input_hash=scored.input_hash,
        advisor=advisor, reason=reason, decided_at=datetime.now(UTC), snapshot_id=shot.id,
        revises_id=previous.id if previous is not None else None,
    )
    db.add(row)
    db.flush()
    return row


def _decision_of_client(db: Session, candidates: list[str], decision_id: int) -> AdvisorDecision:
    row = db.get(AdvisorDecision, decision_id)
    if row is None or row.pseudonym not in candidates:
        # Another client's decision gets the same answer as none at all.
        raise LifecycleError("not_found", "decision_id", "decision not found", status=404)
    return row


def contest(
    db: Session, *, client: StoredClient, candidates: list[str], decision_id: int, statement: str, recorded_by: str,
) -> DecisionContest:
    """The applicant contests ``decision_id``, which must be the decision in force (the one the
    advisor read: ``decision_superseded`` once a revision replaced it)."""
    lock_client(db, client.pseudonym)
    row = _decision_of_client(db, candidates, decision_id)
    current = current_decision(db, candidates)
    if current is None or current.id != row.id:
        raise LifecycleError(
            "decision_superseded", "decision_id",
            f"decision {decision_id} was revised by decision {current.id if current else '?'}; contest that one",
            status=409,
        )
    if open_contest(db, row.id) is not None:
        raise LifecycleError("contest_open", "decision_id", f"decision {decision_id} is already contested", status=409)
    entry = DecisionContest(
        decision_id=row.id, pseudonym=row.pseudonym, statement=statement, contested_at=datetime.now(UTC),
        recorded_by=recorded_by, status="open",
    )
    db.add(entry)
    db.flush()
    return entry


def review(
    db: Session, *, client: StoredClient, candidates: list[str], decision_id: int, reviewer: str, outcome: str,
    decision: str | None, reason: str, scored: Callable[[], Scored], contest_id: int | None = None,
) -> tuple[DecisionContest, AdvisorDecision | None]:
    """Close the open contest of ``decision_id``; ``scored()`` gives the model's view for a revision.

    ``contest_id``, when given, is the open contest the reviewer read: a different one open now
    (that one was reviewed meanwhile and the applicant contested again) is ``decision_changed``."""
    lock_client(db, client.pseudonym)
    row = _decision_of_client(db, candidates, decision_id)
    entry = open_contest(db, row.id)
    if entry is None:
        raise LifecycleError("no_open_contest", "decision_id", f"decision {decision_id} has no open contest",
                             status=409)
    if contest_id is not None and entry.id != contest_id:
        raise LifecycleError(
            "decision_changed", "contest",
            f"contest {contest_id} is no longer the open one: contest {entry.id} is; read the history again",
            status=409, open_contest=entry.id,
        )
    if reviewer == row.advisor:
        raise LifecycleError(
            "reviewer_is_decider", "reviewer",
            "the review must be done by another advisor than the one who took the contested decision",
            status=403,
        )
    if reviewer in reviewed_authors(db, row):
        raise LifecycleError(
            "review_final", "reviewer",
            f"decision {row.id} is the outcome of a review of your decision: another advisor must review "
            "this contest", status=403,
        )
    revision = None
    if outcome == "revised":
        if decision is None:
            raise LifecycleError("decision_required", "decision", "required when the outcome is 'revised'")
        if decision == row.decision:
            raise LifecycleError(
                "decision_unchanged", "decision",
                f"a revision must change the decision ({row.decision}); use outcome 'upheld' to keep it",
            )
        now_scored = scored()
        shot = snapshot(db, client, now_scored.input_hash)
        revision = AdvisorDecision(
            pseudonym=row.pseudonym, decision=decision, recommendation=now_scored.recommendation,
            is_override=decision != now_scored.recommendation, model_version=now_scored.model_version,
            input_hash=now_scored.input_hash, advisor=reviewer, reason=reason, decided_at=datetime.now(UTC),
            snapshot_id=shot.id, revises_id=row.id,
        )
        db.add(revision)
        db.flush()
    elif decision is not None and decision != row.decision:
        raise LifecycleError("decision_unchanged", "decision", "an upheld decision keeps its verdict; omit 'decision'")
    entry.status = outcome
    entry.reviewer = reviewer
    entry.review_reason = reason
    entry.reviewed_at = datetime.now(UTC)
    entry.revision_id = revision.id if revision is not None else None
    db.flush()
    return entry, revision


# ----------------------------------------------------------------------------- reproduction


def decision_event(db: Session, row: AdvisorDecision) -> AuditEvent | AuditPending | None:
    """The audit event that recorded this decision (its details name the decision id),
    chained or still waiting for the sequencer."""
    if row.pseudonym is None:
        return None
    events = events_where(db, lambda table: [
        table.action.in_(DECISION_ACTIONS), table.outcome == "success", table.resource == row.pseudonym,
    ])
    for event in events:
        details = event.details or {}
        # A decision is recorded by decision.record (its id) or made by a review (revision_id);
        # a review event also names the contested decision, which it did not record.
        recorded = event.action == "decision.record" and details.get("decision_id") == row.id
        if recorded or (event.action == "decision.review" and details.get("revision_id") == row.id):
            return event
    return None


def reproduce(
    db: Session, decision_id: int, bundle_for: Callable[[str], Any], lang: str, top: int = 10,
    public_keys: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Recompute a decision from its snapshot with its own model version; the differences.
    ``public_keys`` (key id: Ed25519 public key) verify a retention purge that deleted the
    decision's audit event; without them such an event is reported missing."""
    from backend.scoring import service as scoring

    row = db.get(AdvisorDecision, decision_id)
    if row is None:
        raise LifecycleError("not_found", "decision_id", "decision not found", status=404)
    shot = db.get(DecisionSnapshot, row.snapshot_id) if row.snapshot_id is not None else None
    if shot is None:
        reason = ("the client was erased (GDPR Art. 17): the inputs are gone" if row.anonymised_at
                  else "this decision predates snapshots: its inputs were not kept")
        raise LifecycleError("snapshot_unavailable", "decision_id", f"cannot reproduce: {reason}", status=409)
    try:
        bundle = bundle_for(row.model_version)
    except Exception as exc:  # noqa: BLE001 - missing or modified version: say which
        raise LifecycleError(
            "model_version_unavailable", "decision_id",
            f"model version {row.model_version} cannot be loaded from the registry ({exc})", status=409,
        ) from None
    # The score as the score endpoint computes it (booster.predict), the explanation from TreeSHAP.
    score = scoring.score(bundle, shot.features, lang)
    _, explanation = scoring.score_and_explain(bundle, shot.features, top, lang)
    recomputed_hash = bundle.input_hash(shot.features)
    event = decision_event(db, row)
    purged = purge_covering(db, row.decided_at, public_keys) if event is None and public_keys else None
    checks = [
        _check("model_version", row.model_version, bundle.version),
        _check("snapshot_input_hash", shot.input_hash, recomputed_hash),
        _check("decision_input_hash", row.input_hash, recomputed_hash),
    ]
    if purged is None:
        # A decision older than the audit retention lost its event to the signed purge: that is
        # said (``audit_purged``), not reported as a difference; any other missing event is one.
        checks.append(_check("audit_event", "present", "present" if event is not None else "missing"))
    if event is not None:
        checks.append(_check("audit_input_hash", event.input_hash, recomputed_hash))
        checks.append(_check("audit_model_version", event.model_version, bundle.version))
        # What the row says was decided, by whom, against the chained event that recorded it:
        # the database owner rewrote a refusal into an approval by another advisor, and the
        # reproduction still said identical (it compared inputs only).
        checks.append(_check("audit_advisor", row.advisor, event.actor))
        details = event.details or {}
        if event.action == "decision.record":
            for name, column in RECORDED_DECISION.items():
                checks.append(_check(f"audit_{name}", getattr(row, column), details.get(name)))
    checks.append(_check("recommendation", row.recommendation, score["decision"]))
    differences = [c for c in checks if not c["identical"]]
    return {
        "decision_id": row.id,
        "model_version": row.model_version,
        "verdict": "identical" if not differences else "differs",
        "differences": differences,
        "checks": checks,
        "snapshot_captured_at": shot.captured_at,
        "audit_purged": purged,
        "recomputed": {
            "probability": score["probability"], "decision": score["decision"], "threshold": score["threshold"],
            "risk_band": score["risk_band"], "display_score": score["display_score"],
            "explanation_text": explanation["text"],
            "contributions": [
                {k: c.get(k) for k in ("feature", "label", "value", "shap", "effect")}
                for c in explanation["contributions"]
            ],
        },
        "lang": lang,
        "pseudonym": row.pseudonym,
        "input_hash": recomputed_hash,
    }


def purge_covering(db: Session, when: datetime, public_keys: Mapping[str, Any]) -> dict[str, Any] | None:
    """The signed retention purge that deleted the audit events dated ``when`` (through which
    event, the newest purged event's date, the retention), or None. Only an anchor the audit
    verification accepts counts (signed by a known key, within its retention) and only if the
    events it names are gone: a row inserted into ``audit_anchors`` by the database owner does
    not excuse a missing event."""
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    first = db.scalar(select(func.min(AuditEvent.seq)))
    for anchor in anchor_dicts(db):
        newest = datetime.fromisoformat(anchor["newest_purged_ts"].replace("Z", "+00:00"))
        gone = first is None or first > int(anchor["through_seq"])
        if when <= newest and gone and anchor_problem(anchor, public_keys) is None:
            return {"through_seq": int(anchor["through_seq"]), "newest_purged_ts": newest,
                    "retention_days": int(anchor["retention_days"])}
    return None


def _check(name: str, recorded: Any, recomputed: Any) -> dict[str, Any]:
    return {"check": name, "recorded": recorded, "recomputed": recomputed, "identical": recorded == recomputed}


# ----------------------------------------------------------------------------- erasure and reports


def erase(db: Session, candidates: list[str], now: datetime) -> tuple[int, int]:
    """Art. 17: delete the snapshots, clear the contests' link, statement and review reason
    (free text that may describe the person, as the decisions' own reasons are cleared; the
    review reason was kept) (caller commits). Returns (snapshots deleted, contests anonymised)."""
    from sqlalchemy import delete, update

    deleted = db.execute(delete(DecisionSnapshot).where(DecisionSnapshot.pseudonym.in_(candidates))).rowcount
    anonymised = db.execute(
        update(DecisionContest).where(DecisionContest.pseudonym.in_(candidates))
        .values(pseudonym=None, statement=None, review_reason=None, anonymised_at=now)
    ).rowcount
    db.execute(
        update(AdvisorDecision).where(AdvisorDecision.pseudonym.in_(candidates)).values(snapshot_id=None)
    )
    return int(deleted or 0), int(anonymised or 0)


def contest_counts(db: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Contests received in the period and how they ended (compliance report)."""
    rows = db.execute(
        select(DecisionContest.status, func.count())
        .where(DecisionContest.contested_at >= start, DecisionContest.contested_at < end)
        .group_by(DecisionContest.status)
    ).all()
    by_status = {status: int(n) for status, n in rows}
    return {
        "contests": sum(by_status.values()),
        "open": by_status.get("open", 0),
        "upheld": by_status.get("upheld", 0),
        "revised": by_status.get("revised", 0),
    }


def revision_count(db: Session, start: datetime, end: datetime) -> int:
    return int(db.scalar(
        select(func.count()).select_from(AdvisorDecision).where(
            AdvisorDecision.revises_id.is_not(None), AdvisorDecision.decided_at >= start,
            AdvisorDecision.decided_at < end,
        )
    ) or 0)


@dataclass(frozen=True)
class ExportParts:
    contests: dict[int, list[Any]]
    snapshots: list[Any]


def export_parts(db: Session, candidates: list[str], decision_ids: list[int]) -> ExportParts:
    """The lifecycle's share of the Art. 15 export: contests per decision, and the snapshots."""
    from backend.privacy.schemas import ExportContest, ExportSnapshot

    contests = {
        decision_id: [
            ExportContest(statement=c.statement, contested_at=c.contested_at, status=c.status,  # type: ignore[arg-type]
                          review_reason=c.review_reason, reviewed_at=c.reviewed_at)
            for c in rows
        ]
        for decision_id, rows in contests_of(db, decision_ids).items()
    }
    snapshots = [
        ExportSnapshot(id=s.id, captured_at=s.captured_at, input_hash=s.input_hash, features=s.features)
        for s in db.scalars(
            select(DecisionSnapshot).where(DecisionSnapshot.pseudonym.in_(candidates)).order_by(DecisionSnapshot.id)
        )
    ]
    return ExportParts(contests, snapshots)


def contest_report(db: Session, start: datetime, end: datetime) -> Any:
    from backend.privacy.schemas import ContestCounts

    return ContestCounts(**contest_counts(db, start, end), revisions=revision_count(db, start, end))


OVERRIDE_REASONS_MAX = 500


def override_reasons(db: Session, start: datetime, end: datetime) -> list[Any]:
    """The reasons advisors gave for departing from the model, newest first (at most 500)."""
    from backend.privacy.schemas import OverrideReason

    rows = db.scalars(
        select(AdvisorDecision).where(
            AdvisorDecision.is_override, AdvisorDecision.decided_at >= start, AdvisorDecision.decided_at < end,
        ).order_by(AdvisorDecision.decided_at.desc(), AdvisorDecision.id.desc()).limit(OVERRIDE_REASONS_MAX)
    ).all()
    return [
        OverrideReason(decision_id=r.id, advisor=r.advisor, decided_at=r.decided_at,
                       decision=r.decision, recommendation=r.recommendation, reason=r.reason)  # type: ignore[arg-type]
        for r in rows
    ]
