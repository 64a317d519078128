"""What ``verify`` checks beyond the hash chain, and the machine-readable reason of a failure.

The hash chain, checkpoints and anchors (``security.audit_chain``) prove that no event was
edited, removed or reordered after it was hashed. They cannot say that an event was true when
it was chained, nor that the rest of the database still agrees with the trail. So the online
verification (``GET /audit/verify``, ``octroi audit verify``) also checks:

- **Dates.** Every event is dated by the API (``datetime.now`` once its transaction began: on
  SQLite under the write lock) just before the database numbers it, and the sequencer chains in
  that order. An event dated more than ``TS_TOLERANCE`` before the event chained just before it,
  or after the verification itself, was not dated by the API that way: typically a row the
  database owner inserted into ``audit_pending`` (the API's role may INSERT there) with a false
  date. The tolerance covers writers that dated their event and then waited for SQLite's write
  lock (busy timeout 30 s) or for the chain-head lock (inline mode), and clocks of API hosts a
  little apart (keep them on NTP); backdating by less than that is not detected.
- **The stored form of ``ts`` (SQLite).** SQLite keeps times as text and dated searches compare
  that text: ``2026-12-01 10:38:32.123456``. Another spelling of the same instant
  (``2026-12-01T10:38:32.123456``) hashes the same (the hash covers the parsed time) but escapes
  searches and exports by date.
- **Who wrote each event.** The API MACs every event it writes (``CheckpointSigner.event_mac``,
  under a key derived from the audit signing secret, which the database never holds). The
  database owner can INSERT a row into ``audit_pending`` or ``audit_events`` dated *now* and
  hash it into the chain, but not MAC it: an event whose MAC does not match is ``mac_invalid``,
  one without a MAC after the first event that has one is ``mac_missing`` (events written
  before migration 0016 have none). An event MACed under a retired signing key cannot be
  checked (only its public key is kept): counted in ``warnings``, unless it comes more than
  ``ROTATION_GRACE`` after an event under the current key (keys do not go back): invalid.
- **Copies.** A genuine event inserted a second time (its content and MAC copied whole) has a
  valid MAC. No two events the API writes share their whole content: each process dates its
  events strictly later than the one before, and a request's events carry its request id. A
  MAC that occurs twice is ``event_repeated``, reported at the copy (every occurrence after
  the first).
- **Erasures.** Every ``privacy.erase`` the trail records (and no ``client.reimport_erased``
  undid) must still have its tombstone, and its person must not be back in ``clients``
  (``backend.audit.erasures``).
- **Advisors' decisions.** Every decision the trail records (``decision.record``, naming its
  id, verdict, the model's recommendation, override and what it revises; ``decision.review``
  naming a revision and, since it records them, its verdict, recommendation and override) must
  still be in ``advisor_decisions`` as recorded, by the event's actor, with its model version,
  input hash, client (unless an erasure cleared it) and date (within ``TS_TOLERANCE``); no id
  may be recorded twice (ids are never reused); and every decision row must be recorded by the
  trail, unless its event still waits for the sequencer, an earlier release's event that did not
  name the id records it (``_match_unnamed``), or a signed retention purge deleted its event (it
  is dated no later than the newest event the purge deleted, with an id below the first one the
  trail names). The database owner rewrote a refusal into an
  approval, or deleted a decision, and the overrides report changed while the chain stayed
  valid (``decision_altered``).

Each failure carries a ``reason_code`` (``backend.audit.schemas.VerificationCode``) beside its
English ``reason``; a failure found after the first one is listed in ``warnings``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend.audit.erasures import standing_erasures
from backend.audit.models import AuditAnchor, AuditEvent, AuditPending
from backend.audit.schemas import VerificationCode
from backend.clients.models import Client, ClientErasure
from backend.privacy.models import AdvisorDecision
from backend.users.models import User
from security.audit_chain import VerificationResult, canonical_ts

# How much earlier than the event chained before it an event may be dated (see above).
TS_TOLERANCE = timedelta(seconds=60)
_CHUNK = 5_000


@dataclass(frozen=True)
class AuditVerification(VerificationResult):
    """A ``VerificationResult`` with the machine-readable reason of its failure."""

    reason_code: str | None = None


class Problem(NamedTuple):
    seq: int
    code: VerificationCode
    reason: str


# The reasons ``security.audit_chain`` gives (verify_chain, anchor_problem), by their wording.
_CHAIN_REASONS: tuple[tuple[re.Pattern[str], VerificationCode], ...] = tuple(
    (re.compile(pattern), code) for pattern, code in (
        (r"^sequence gap:", VerificationCode.sequence_gap),
        (r"^sequence out of order:", VerificationCode.sequence_disorder),
        (r"^seq \d+: prev_hash does not match", VerificationCode.link_broken),
        (r"^seq \d+: content does not match its hash", VerificationCode.content_edited),
        (r"^checkpoint at seq \d+: signature invalid", VerificationCode.checkpoint_signature),
        (r"^signed checkpoint at seq \d+ but the chain ends", VerificationCode.tail_truncated),
        (r"^seq \d+: hash differs from the signed checkpoint", VerificationCode.checkpoint_mismatch),
        (r"^purge anchor through seq \d+: signature invalid", VerificationCode.anchor_signature),
        (r"^purge anchor through seq \d+: purged events were not older", VerificationCode.anchor_retention),
    )
)


def code_of_chain_reason(reason: str | None) -> str:
    """The code of a reason worded by ``security.audit_chain``; ``other`` for one it does not know."""
    for pattern, code in _CHAIN_REASONS:
        if reason and pattern.search(reason):
            return code.value
    return VerificationCode.other.value


def coded(result: VerificationResult, code: str | None = None) -> AuditVerification:
    """``result`` with its reason code (``code``, or read from a chain reason's wording)."""
    if isinstance(result, AuditVerification) and (code is None or result.reason_code == code):
        return result
    if result.valid:
        code = None
    elif code is None:
        code = code_of_chain_reason(result.reason)
    fields = {name: getattr(result, name) for name in VerificationResult.__dataclass_fields__}
    return AuditVerification(**fields, reason_code=code)


def failed(seq: int, reason: str, code: VerificationCode, *, events: int = 0, checkpoints: int = 0,
           first_seq: int = 1) -> AuditVerification:
    return AuditVerification(False, events, checkpoints, seq, reason, first_seq=first_seq, reason_code=code.value)


def with_problems(result: AuditVerification, problems: Iterable[Problem]) -> AuditVerification:
    """The result once these problems are known: the first (by seq) makes a valid result
    invalid; every other one is listed in ``warnings``, so none hides another."""
    ordered = sorted(problems, key=lambda p: p.seq)  # stable: a seq's problems in the order found
    if not ordered:
        return result
    if result.valid:
        first, ordered = ordered[0], ordered[1:]
        result = replace(result, valid=False, first_invalid_seq=first.seq, reason=first.reason,
                         reason_code=first.code.value)
    return replace(result, warnings=(*result.warnings, *(f"also invalid: {p.reason}" for p in ordered)))


# --------------------------------------------------------------------------------- dates


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= size:
            return f"{round(seconds / size)} {unit}"
    return f"{round(seconds)} seconds"


class DateWatch:
    """Watches the events ``verify_chain`` reads (one pass, nothing kept but the previous one):
    an event dated more than ``TS_TOLERANCE`` before its predecessor, or after ``now``."""

    def __init__(self, now: datetime) -> None:
        self.problems: list[Problem] = []
        self._latest_allowed = _aware(now) + TS_TOLERANCE
        self._previous: tuple[int, datetime] | None = None

    def watch(self, events: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for event in events:
            seq, ts = int(event["seq"]), event["ts"]
            if isinstance(ts, datetime):
                self._check(seq, _aware(ts))
            yield event

    def _check(self, seq: int, ts: datetime) -> None:
        if ts > self._latest_allowed:
            self.problems.append(Problem(seq, VerificationCode.ts_future, (
                f"seq {seq} is dated {canonical_ts(ts)}, after this verification (an event "
                "inserted with a false date?)")))
        if self._previous is not None:
            before, previous_ts = self._previous
            if ts < previous_ts - TS_TOLERANCE:
                self.problems.append(Problem(seq, VerificationCode.ts_backdated, (
                    f"seq {seq} is dated {_span(previous_ts - ts)} before seq {before} "
                    f"({canonical_ts(ts)} after {canonical_ts(previous_ts)}): the API dates events "
                    "in the order it chains them (an event inserted with a false date?)")))
        self._previous = (seq, ts)


# A rolling restart after a key rotation: replicas on the old key for a few minutes more.
ROTATION_GRACE = timedelta(minutes=10)


class MacWatch:
    """Watches the events ``verify_chain`` reads for their MAC (see the module's docstring)."""

    def __init__(self, signer: Any, retired_key_ids: Iterable[str]) -> None:
        self.problems: list[Problem] = []
        self.unchecked = 0  # MACed under a retired key
        self._signer = signer
        self._retired = set(retired_key_ids) - {signer.key_id}
        self._macs_began = False
        self._current_since: datetime | None = None

    def watch(self, events: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for event in events:
            self._check(event)
            yield event

    def warnings(self) -> tuple[str, ...]:
        if not self.unchecked:
            return ()
        return (f"{self.unchecked} events are MACed under a retired audit signing key and were not checked "
                "(only its public key is kept)",)

    def _check(self, event: Mapping[str, Any]) -> None:
        seq, mac = int(event["seq"]), event.get("mac")
        if mac is None:
            if self._macs_began:
                self.problems.append(Problem(seq, VerificationCode.mac_missing, (
                    f"seq {seq} carries no MAC although the API MACs every event it writes (inserted "
                    "by hand into the database?)")))
            return
        self._macs_began = True
        key_id = str(mac).partition(":")[0]
        ts = _aware(event["ts"]) if isinstance(event["ts"], datetime) else None
        if key_id == self._signer.key_id:
            if self._current_since is None:
                self._current_since = ts
            if not self._signer.mac_matches(event, mac):
                self.problems.append(Problem(seq, VerificationCode.mac_invalid, (
                    f"seq {seq}: its MAC does not match its content: the API did not write this event "
                    "(inserted by hand into the database, or edited before it was chained?)")))
            return
        late = self._current_since is not None and ts is not None and ts > self._current_since + ROTATION_GRACE
        if key_id not in self._retired or late:
            why = "a key this installation does not know" if key_id not in self._retired else (
                "a retired key, after events under the current one")
            self.problems.append(Problem(seq, VerificationCode.mac_invalid, (
                f"seq {seq} is MACed under {why} ({key_id}): the API did not write this event "
                "(inserted by hand into the database?)")))
            return
        self.unchecked += 1


_REPEATED = text(
    "SELECT e.seq AS seq, d.first AS first FROM audit_events e JOIN ("
    " SELECT mac, MIN(seq) AS first FROM audit_events WHERE mac IS NOT NULL"
    " GROUP BY mac HAVING COUNT(*) > 1) d ON e.mac = d.mac "
    "WHERE e.seq > d.first ORDER BY e.seq"
)


def repeated_problems(db: Session) -> list[Problem]:
    """Every event whose MAC an earlier event already carries: an exact copy of it."""
    return [
        Problem(int(row.seq), VerificationCode.event_repeated, (
            f"seq {row.seq} repeats seq {row.first} exactly (same time, request, content and MAC): "
            "the API never writes the same event twice (copied into the database?)"))
        for row in db.execute(_REPEATED)
    ]


# SQLite keeps a time as this text (SQLAlchemy's form); searches compare it as text.
_SQLITE_TS_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]"
_NON_CANONICAL_TS = text(
    "SELECT seq, CAST(ts AS TEXT) AS ts FROM audit_events "
    "WHERE typeof(ts) != 'text' OR NOT (ts GLOB :pattern) ORDER BY seq"
)


def stored_ts_problems(db: Session) -> list[Problem]:
    """SQLite: every event whose stored ``ts`` is not in the text form searches compare."""
    if db.get_bind().dialect.name != "sqlite":
        return []  # PostgreSQL stores timestamptz, not text
    return [
        Problem(int(row.seq), VerificationCode.ts_not_canonical, (
            f"seq {row.seq}: its time is stored as {str(row.ts)[:40]!r}, not in the form "
            "'YYYY-MM-DD HH:MM:SS.ffffff' every event is written in (same instant, so the hash "
            "still matches, but searches and exports by date miss it: rewritten in place?)"))
        for row in db.execute(_NON_CANONICAL_TS, {"pattern": _SQLITE_TS_GLOB})
    ]


# ----------------------------------------------------------------------------- erasures


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def erasure_problems(db: Session) -> list[Problem]:
    """Every erasure the chain records that the database no longer honours: its tombstone is
    gone, or its person (under any pseudonym of its tombstones) is back in ``clients``."""
    standing = standing_erasures(db.connection(), pending=False)
    if not standing:
        return []
    erased = list(standing)
    group_of: dict[str, str] = {}
    for chunk in _chunks(erased):
        for pseudonym, group in db.execute(
            select(ClientErasure.pseudonym, ClientErasure.erasure_id).where(ClientErasure.pseudonym.in_(chunk))
        ):
            group_of[pseudonym] = group or pseudonym
    members: dict[str, set[str]] = {}
    groups = sorted(set(group_of.values()))
    for chunk in _chunks(groups):
        for pseudonym, group in db.execute(
            select(ClientErasure.pseudonym, ClientErasure.erasure_id).where(ClientErasure.erasure_id.in_(chunk))
        ):
            members.setdefault(group, set()).add(pseudonym)
    names = sorted(set(erased).union(*members.values()))
    back: set[str] = set()
    for chunk in _chunks(names):
        back.update(db.scalars(select(Client.pseudonym).where(Client.pseudonym.in_(chunk))))
    problems = []
    for pseudonym, seq in standing.items():
        if seq is None:
            continue
        person = {pseudonym} | members.get(group_of.get(pseudonym, ""), set())
        returned = " and the client is back in the clients table" if person & back else ""
        if pseudonym not in group_of:
            problems.append(Problem(seq, VerificationCode.erasure_undone, (
                f"seq {seq}: the erasure of client {pseudonym} has no tombstone in client_erasures"
                f"{returned} (erasure undone outside Octroi?)")))
        elif returned:
            problems.append(Problem(seq, VerificationCode.erasure_undone, (
                f"seq {seq}: the client {pseudonym} erased here is back in the clients table "
                "(erasure undone outside Octroi?)")))
    return problems


# --------------------------------------------------------------------------- decisions

# What a decision.record event says of its row: details key -> row column (the reproduction
# compares them too). A decision.review that made a revision says the same of it under
# ``revision_<key>`` (events before that say less).
RECORDED_DECISION = {"decision": "decision", "recommendation": "recommendation", "override": "is_override",
                     "revises": "revises_id"}
_DECISION_ACTIONS = ("decision.record", "decision.review")


def _recorded_id(action: str, details: dict[str, Any]) -> int | None:
    key = "decision_id" if action == "decision.record" else "revision_id"
    value = details.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _said(action: str, details: dict[str, Any]) -> dict[str, Any]:
    """What a recording event says of its decision's row, by details key."""
    if action == "decision.record":
        return {key: details[key] for key in RECORDED_DECISION if key in details}
    said = {key: details[f"revision_{key}"] for key in RECORDED_DECISION if f"revision_{key}" in details}
    if isinstance(details.get("decision_id"), int):
        said["revises"] = details["decision_id"]  # a review's revision revises the contested decision
    return said


_ACCOUNT_ACTIONS = ("user.create", "user.access_approve", "user.update")


def _account_sets(action: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """What an event says an account's role and status now are (only what it sets)."""
    if action == "user.create":
        # Through the API an account that needs a second admin starts disabled with a request.
        return {"role": details.get("role"), "active": details.get("access_request") is None}
    if action == "user.access_approve":
        return {"role": details.get("role")} | ({"active": True} if details.get("kind") in ("create", "enable") else {})
    changes = details.get("changes") if isinstance(details.get("changes"), dict) else {}
    return {field: change[1] for field, change in changes.items()
            if field in ("role", "active") and isinstance(change, list) and len(change) == 2}


def account_problems(db: Session) -> list[Problem]:
    """:func:`_account_problems`, read twice when the first reading finds any: on PostgreSQL each
    statement reads at its own time, so an admin's change committed between the reading of
    ``users`` and of the trail would read as tampering; tampering reads the same twice."""
    found = _account_problems(db)
    return _account_problems(db) if found else found


def _account_problems(db: Session) -> list[Problem]:
    """Every account whose role or status the trail set (its creation, an approved request, an
    admin's change) and that ``users`` no longer holds so: the database owner made an advisor an
    admin, or enabled a disabled account, and every check said valid (the twenty-eighth
    session's insider walk). The rows are read first, then the events still waiting for the
    sequencer, then the chain, each event setting what it names, in order. An account no event
    ever set (created before events named it, or by a purged event) is not judged."""
    rows = {row.username: row for row in db.scalars(select(User))}
    waiting = db.scalars(select(AuditPending).where(
        AuditPending.action.in_(_ACCOUNT_ACTIONS), AuditPending.outcome == "success").order_by(AuditPending.id)).all()
    chained = db.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(_ACCOUNT_ACTIONS), AuditEvent.outcome == "success").order_by(AuditEvent.seq)).all()
    said: dict[str, dict[str, tuple[Any, int]]] = {}  # username -> field -> (value, seq that set it)
    head = chained[-1].seq if chained else 0
    seen = {event.pending_id for event in chained if event.pending_id is not None}
    for event in [*chained, *(row for row in waiting if row.id not in seen)]:
        resource = event.resource or ""
        if not resource.startswith("user:"):
            continue
        seq = getattr(event, "seq", None) or head
        details = event.details if isinstance(event.details, dict) else {}
        state = said.setdefault(resource.removeprefix("user:"), {})
        for field, value in _account_sets(event.action, details).items():
            if value is not None:
                state[field] = (value, seq)
    problems = []
    for username, state in said.items():
        row = rows.get(username)
        if row is None:
            seq = max(seq for _, seq in state.values()) if state else head
            problems.append(Problem(seq, VerificationCode.account_altered, (
                f"seq {seq}: account {username!r} set here is no longer in users (deleted outside Octroi?)")))
            continue
        for field, (value, seq) in state.items():
            if getattr(row, field) != value:
                problems.append(Problem(seq, VerificationCode.account_altered, (
                    f"seq {seq}: account {username!r} now reads {field} {getattr(row, field)!r}, not {value!r} as "
                    "set here (changed outside Octroi?)")))
    return problems


def _match_unnamed(
    rows: list[AdvisorDecision], events: list[AuditEvent]
) -> tuple[list[AdvisorDecision], list[AuditEvent]]:
    """Pair decisions with the ``decision.record`` events of releases that did not name the
    decision's id (before the model lifecycle): same advisor, same client (unless an erasure
    cleared it), what the event says of the verdict, recommendation and override, model version
    and input hash where it says them, and the date within ``TS_TOLERANCE``; each event records
    one decision. (the rows left, the events left)."""
    left = list(events)
    unpaired = []
    for row in rows:
        for index, event in enumerate(left):
            details = event.details if isinstance(event.details, dict) else {}
            if not _differences(row, event, details, unsaid_ok=True):
                del left[index]
                break
        else:
            unpaired.append(row)
    return unpaired, left


def _differences(row: AdvisorDecision, event: AuditEvent, details: Mapping[str, Any],
                 unsaid_ok: bool = False) -> list[str]:
    """How a decision row differs from the event that recorded it: what the event says of it,
    the advisor, model version and input hash (``unsaid_ok``: an earlier release's event that
    names neither is not contradicted), the client unless an erasure cleared it, the date."""
    differ = [f"{key} {getattr(row, RECORDED_DECISION[key])!r}, not {said!r}"
              for key, said in _said(event.action, details).items() if getattr(row, RECORDED_DECISION[key]) != said]
    differ += [f"{name} {now!r}, not {said!r}" for name, now, said in (
        ("advisor", row.advisor, event.actor), ("model_version", row.model_version, event.model_version),
        ("input_hash", row.input_hash, event.input_hash))
        if now != said and not (unsaid_ok and name != "advisor" and said is None)]
    if row.pseudonym is not None and row.pseudonym != event.resource:  # an erasure clears it
        differ.append(f"client {row.pseudonym!r}, not {event.resource!r}")
    if abs(_aware(row.decided_at) - _aware(event.ts)) > TS_TOLERANCE:
        differ.append(f"decided_at {_aware(row.decided_at).isoformat()}, not about {_aware(event.ts).isoformat()}")
    return differ


def decision_problems(db: Session) -> list[Problem]:
    """Every advisor's decision the chained trail records that ``advisor_decisions`` no longer
    holds as recorded, and every decision row the trail does not record (see the module
    docstring). The rows are read first, then the events still waiting for the sequencer, then
    the chain: a decision committed meanwhile, or an event chained meanwhile, is never taken
    for a row no event records."""
    rows = {row.id: row for row in db.scalars(select(AdvisorDecision))}
    waiting: set[int] = set()
    for action, details in db.execute(select(AuditPending.action, AuditPending.details).where(
            AuditPending.action.in_(_DECISION_ACTIONS), AuditPending.outcome == "success")):
        decision_id = _recorded_id(action, details if isinstance(details, dict) else {})
        if decision_id is not None:
            waiting.add(decision_id)
    problems = []
    recorded: dict[int, int] = {}  # decision id -> the seq that recorded it
    unnamed: list[AuditEvent] = []  # decision.record events of releases that did not name the decision
    for event in db.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(_DECISION_ACTIONS), AuditEvent.outcome == "success").order_by(AuditEvent.seq)):
        details = event.details if isinstance(event.details, dict) else {}
        decision_id = _recorded_id(event.action, details)
        if decision_id is None:
            if event.action == "decision.record":
                unnamed.append(event)
            continue
        seq = event.seq
        if decision_id in recorded:
            # Ids are never reused: one was deleted and its id given to a new decision.
            problems.append(Problem(recorded[decision_id], VerificationCode.decision_altered, (
                f"seq {recorded[decision_id]}: decision {decision_id} recorded here was recorded again at seq {seq} "
                "(deleted outside Octroi, and its id reused?)")))
        recorded[decision_id] = seq
        row = rows.get(decision_id)
        if row is None:
            problems.append(Problem(seq, VerificationCode.decision_altered, (
                f"seq {seq}: decision {decision_id} recorded here is no longer in advisor_decisions "
                "(deleted outside Octroi?)")))
            continue
        differ = _differences(row, event, details)
        if differ:
            problems.append(Problem(seq, VerificationCode.decision_altered, (
                f"seq {seq}: decision {decision_id} now reads {'; '.join(differ)} as recorded here "
                "(rewritten outside Octroi?)")))
    unrecorded = [rows[i] for i in sorted(set(rows) - set(recorded) - waiting)]
    unrecorded, unmatched = _match_unnamed(unrecorded, unnamed)
    for event in unmatched:
        problems.append(Problem(event.seq, VerificationCode.decision_altered, (
            f"seq {event.seq}: the decision recorded here (by an earlier release, without its id) is no longer "
            "in advisor_decisions as recorded (deleted or rewritten outside Octroi?)")))
    # Decided no later than the newest event a signed retention purge deleted, and below the first
    # id the trail names: recorded by an event that purge took. Anything else is nobody's decision.
    horizon = db.scalar(select(func.max(AuditAnchor.newest_purged_ts)))
    first = min(recorded, default=None)
    head = max(recorded.values(), default=None) or db.scalar(select(func.max(AuditEvent.seq))) or 0
    for row in unrecorded:
        purged = (horizon is not None and _aware(row.decided_at) <= _aware(horizon) + TS_TOLERANCE
                  and (first is None or row.id < first))
        if row.id <= 0 or not purged:
            problems.append(Problem(head, VerificationCode.decision_altered, (
                f"decision {row.id} in advisor_decisions is recorded by no event of the trail "
                "(inserted outside Octroi?)")))
    return problems
