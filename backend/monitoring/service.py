"""Stored batch-job results: write one, read the latest, say how fresh it is.

A result is keyed by kind (portfolio, drift, backtest), model version and the revision of
the population it was computed on. It is "current" when that revision is still the
population's; otherwise the API still serves it and says it is stale (a job is due).

Only published results are served. A result whose population differs from a published one
(of its kind, any model version) by 1 to 9 people is stored held: a subtraction between the
two would give those people's figures (``ml.disclosure``). The published one stays served and
its freshness says how many people wait (``pending_changes``); the next run that finds 10 or
more changed publishes. A published result's segments and cohorts are pooled where they moved
by 1 to 9 people since any published one (``Publication.moves``, kept per cell beside the row
digests in ``member_cells``).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session, defer, undefer

from backend.clients.service import clients_revision
from backend.models import ServiceMeta
from backend.monitoring.models import MonitoringAggregate
from backend.portfolio.service import (
    CROSS,
    PIECE,
    Moves,
    cell_label,
    crossed,
    piece_edges,
    recut,
    served_edges,
)
from ml.disclosure import MIN_CELL, Move, Population, compare, publishable
from ml.monitoring import Earlier, disclosed_outcomes, served_score

KINDS = ("portfolio", "drift", "backtest")
# Two jobs deciding publication at once could each find the other's population 1 person away
# unpublished, and both publish: one decides at a time (SQLite: BEGIN IMMEDIATE already).
PUBLICATION_LOCK_KEY = 0x6F6374726F692D70
# Changes whenever outcomes are imported or erased; backtests depend on it too.
OUTCOMES_REVISION_KEY = "outcomes_revision"


def outcomes_revision(db: Session) -> str:
    value = db.scalar(select(ServiceMeta.value).where(ServiceMeta.key == OUTCOMES_REVISION_KEY))
    return value or "none"


def bump_outcomes_revision(db: Session) -> str:
    value = uuid.uuid4().hex
    now = datetime.now(UTC)
    row = db.get(ServiceMeta, OUTCOMES_REVISION_KEY)
    if row is None:
        db.add(ServiceMeta(key=OUTCOMES_REVISION_KEY, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
    db.flush()
    return value


def population_revision(db: Session, kind: str) -> str:
    """The revision a result of this kind depends on (clients; plus outcomes for backtests)."""
    clients = clients_revision(db)
    if kind != "backtest":
        return clients
    return hashlib.sha256(f"{clients}:{outcomes_revision(db)}".encode()).hexdigest()[:32]


def population_size(payload: dict[str, Any]) -> int:
    """How many rows a stored payload was computed on (drift: rows, backtest: n, portfolio:
    applicants)."""
    return int(payload.get("rows", payload.get("n") or payload.get("summary", {}).get("applicants", 0)) or 0)


@dataclass(frozen=True)
class Publication:
    published: bool
    changed_people: int | None  # held: the change that holds it (1-9); else since the latest published
    members: np.ndarray  # the sorted row digests of the population it was computed on
    cells: np.ndarray | None = None  # each member's cells (``cell_codes``), in the same order
    # Each table's labels that moved since a published result (one (gone, new) per result that
    # kept its cells): the result's builder pools them (``ml.disclosure.pooled_cells``).
    moves: Moves | None = None
    # Per result of ``moves``, the edges of today's cut of the probability scale it did not cut
    # at (``portfolio.service.recut``): who moved is unknown there.
    blind: tuple[list[float], ...] = ()


def _cells_bytes(cells: np.ndarray) -> bytes:
    """A structured array as .npy bytes (its field names in the header; no pickle)."""
    buffer = io.BytesIO()
    np.save(buffer, cells, allow_pickle=False)
    return buffer.getvalue()


def _cells_of(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.load(io.BytesIO(blob), allow_pickle=False)


def publication(db: Session, kind: str, digests: np.ndarray, cells: np.ndarray | None = None,
                cut: list[float] | None = None) -> Publication:
    """May a result computed on the population of ``digests`` be published?

    Compared with every published result of the kind, whatever its model version (the counts
    in a table do not depend on the model): each must be 0 or at least ``MIN_CELL`` people
    away; so must the empty population (a result over 5 people gives their figures, even after
    ten erasures from 15). A result stored before digests were kept is compared by its size. Call it
    in the transaction that stores the result: it holds the publication lock until commit.

    With ``cells`` (each row's cells, in the digests' order), ``moves`` says for every table which
    labels moved since each published result that kept its cells (one stored before them is
    compared by its population only). ``cut``: the edges today's pieces of the probability scale
    lie between (``portfolio.service.piece_edges``); a result cut otherwise has its pieces put
    in today's (``portfolio.service.recut``), blind at the edges it lacks."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLICATION_LOCK_KEY})
    digests = np.asarray(digests, dtype=np.uint64)
    order = np.argsort(digests, kind="stable")
    members = digests[order]
    cells = None if cells is None else cells[order]
    newest_first = (MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc())
    published = (MonitoringAggregate.kind == kind, MonitoringAggregate.published.is_(True))
    # One result per population: a rerun on the same people adds nothing to compare with, and
    # loading and comparing each again cost 0.1 to 0.2 s per result at 300,000 rows.
    ids, seen = [], set()
    for row_id, population in db.execute(
        select(MonitoringAggregate.id, MonitoringAggregate.population_digest).where(*published).order_by(*newest_first)
    ):
        if population is None or population not in seen:
            ids.append(row_id)
            seen.add(population)
    earlier_rows = _distinct_populations(list(db.scalars(
        # Digests loaded, payloads not (read only for a result stored before digests were kept).
        select(MonitoringAggregate)
        .options(undefer(MonitoringAggregate.members), undefer(MonitoringAggregate.member_cells),
                 defer(MonitoringAggregate.payload))
        .where(MonitoringAggregate.id.in_(ids)).order_by(*newest_first)
    )) if ids else [])
    changes, moved, blind = _compared(earlier_rows, members, cells, cut)
    # The empty population too: a result over 1 to 9 people is those people's figures.
    if publishable([*changes, int(members.size)], MIN_CELL):
        return Publication(True, changes[0] if changes else None, members, cells,
                           _moves(moved) if cells is not None else None, tuple(blind))
    return Publication(False, max(c for c in [*changes, int(members.size)] if 0 < c < MIN_CELL), members, cells)


def _compared(earlier_rows: list[MonitoringAggregate], members: np.ndarray, cells: np.ndarray | None,
              cut: list[float] | None = None) -> tuple[list[int], list[dict[str, dict[int, Move]]], list[list[float]]]:
    """How many people each earlier result's population is from this one, and for each that
    kept its cells (when ``cells`` are given) who moved in which cell, with the edges of ``cut``
    it is blind at: one pass per result, today's population indexed once (at 300,000 rows:
    0.16 s a result before, two sorts each)."""
    today = Population(members)
    changes: list[int] = []
    moved: list[dict[str, dict[int, Move]]] = []
    blind: list[list[float]] = []
    for row in earlier_rows:
        if row.members is None:  # stored before digests were kept: compared by its size
            changes.append(abs(population_size(row.payload) - members.size))
            continue
        before_cells = _cells_of(row.member_cells) if cells is not None else None
        lacking: list[float] = []
        if cut is not None and before_cells is not None and PIECE in (before_cells.dtype.names or ()):
            before_cells, lacking = _in_cut(row, before_cells, cut)
        # Each table also crossed with the side or outcome the cells hold (portfolio.service.crossed).
        changed, moves = compare(Population(np.frombuffer(row.members, dtype=np.uint64)), today, before_cells, cells,
                                 derive=crossed)
        changes.append(changed)
        if moves is not None:
            moved.append(moves)
            blind.append(lacking)
    return changes, moved, blind


def _in_cut(row: MonitoringAggregate, cells: np.ndarray, cut: list[float]) -> tuple[np.ndarray, list[float]]:
    """A result's cells with its pieces in today's ``cut``, and the edges of ``cut`` it lacks. Its
    own cut is stored with it; one stored before (a portfolio summary) was cut at its bars,
    grades and threshold only."""
    own = row.payload.get("piece_edges")
    if own is None:
        own = piece_edges(float(row.payload["summary"]["threshold"])) if "summary" in row.payload else cut
    if len(own) == len(cut) and np.allclose(own, cut, rtol=0.0, atol=1e-9):
        return cells, []
    pieces, lacking = recut(cells[PIECE], own, cut)
    cells = cells.copy()
    cells[PIECE] = pieces
    return cells, lacking


def _distinct_populations(rows: list[MonitoringAggregate]) -> list[MonitoringAggregate]:
    """The newest result of each population (same digests, same cells): a rerun on the same
    people (a scheduler, another model, the other kinds' trigger) adds nothing to compare with,
    and comparing it again cost 0.17 s per result at 300,000 rows. Results stored before digests
    were kept stay (compared by their size)."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        if row.members is not None:
            key = row.population_digest or population_digest(row.members, row.member_cells)
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    return kept


def population_digest(members: bytes, cells: bytes | None) -> str:
    """One digest of a stored population (its row digests and their cells)."""
    return hashlib.blake2b(members + b"|" + (cells or b""), digest_size=16).hexdigest()


def _moves(per_result: list[dict[str, dict[int, Move]]]) -> Moves:
    """For every table, the labels that moved since each earlier result that kept its cells:
    each label's (gone, new) since each result, then, from a table crossed with a side of the
    threshold or an outcome (``portfolio.service.CROSS``), its approved (repaid) and its refused
    (defaulted) people's since each result: one column per result and kind of people, each of
    which must have moved by 0 or at least 10 (``ml.disclosure.pooled_cells``). A result stored
    before the crossed tables were kept gives zeros there; a table crossed with nothing keeps
    one column per result."""
    width = len(per_result)
    crossing = {table.partition(CROSS)[0] for result in per_result for table in result if CROSS in table}
    moves: Moves = {}
    for k, result in enumerate(per_result):
        for table, cells_moved in result.items():
            base = table.partition(CROSS)[0]
            into = moves.setdefault(base, {})
            for code, move in cells_moved.items():
                column = width * (1 + int(code) % 2) + k if CROSS in table else k
                into.setdefault(cell_label(table, code), [(0, 0)] * (width * (3 if base in crossing else 1)))[column] = move
    return moves


def store(
    db: Session, kind: str, model_version: str, revision: str, payload: dict[str, Any], duration: float,
    publication: Publication | None = None,
) -> MonitoringAggregate:
    """Store a result; published (with its population's digests) unless ``publication`` holds it."""
    published = publication is None or publication.published
    row = MonitoringAggregate(
        kind=kind, model_version=model_version, population_revision=revision,
        computed_at=publication_time(db), duration_seconds=round(duration, 3), payload=payload,
        published=published, changed_people=publication.changed_people if publication else None,
        # A held result is never compared with: its digests are not kept.
        members=publication.members.tobytes() if publication is not None and published else None,
        member_cells=_cells_bytes(publication.cells)
        if publication is not None and published and publication.cells is not None else None,
    )
    if row.members is not None:
        row.population_digest = population_digest(row.members, row.member_cells)
    db.add(row)
    db.flush()
    if published and kind in HISTORY_KINDS:
        row.point = point_of(db, row)
        fill_points(db, kind)
        db.flush()
    return row


def publication_time(db: Session) -> datetime:
    """When a result stored now is dated: this host's clock, but never before a result stored
    earlier (one microsecond after the newest, if this clock is behind). Results are stored one
    at a time under the publication lock, and their order (the previous period, which of two
    results came first) is read from these dates: a job host whose clock lags another's would
    otherwise date its newer result before the older one."""
    now = datetime.now(UTC)
    newest = db.scalar(select(func.max(MonitoringAggregate.computed_at)))
    return now if newest is None or _utc(newest) < now else _utc(newest) + timedelta(microseconds=1)


def latest(db: Session, kind: str, model_version: str, *, population_other_than: str | None = None
           ) -> MonitoringAggregate | None:
    """The newest published result of ``kind`` for the model; with ``population_other_than``,
    the newest computed on another population (the previous period, however often the same one
    was rerun)."""
    query = select(MonitoringAggregate).where(
        MonitoringAggregate.kind == kind, MonitoringAggregate.model_version == model_version,
        MonitoringAggregate.published.is_(True),
    )
    if population_other_than is not None:
        query = query.where(MonitoringAggregate.population_revision != population_other_than)
    return db.scalars(
        query.order_by(MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc()).limit(1)
    ).first()


def published_edges(db: Session, drift: MonitoringAggregate) -> dict[float, int]:
    """The counts under probability edges that the portfolio results on the same model and
    people give, which ``drift``'s decile edges must not come within 9 people of
    (``ml.monitoring.protected_score``): when a portfolio result on these people was published
    before ``drift``, its threshold with its approved applicants and every edge of its histogram
    and risk grades, as served then (a reader may have kept that summary, read before the drift
    result existed); none when ``drift`` came first: the portfolio gives way to it instead (its
    bars and grades in ``portfolio.service.aligned_cells``, its split in ``apart_from``). The
    first published keeps what it showed and the second gives way, whichever it is."""
    portfolio = first_published(db, "portfolio", drift.model_version, drift.population_revision)
    earliest = first_published(db, "drift", drift.model_version, drift.population_revision) or drift
    if portfolio is None or _order(earliest) < _order(portfolio):
        return {}  # the drift result came first: the portfolio gives way (``portfolio.service.apart_from``)
    return served_edges(portfolio.payload["summary"])


def first_published(db: Session, kind: str, model_version: str, population_revision: str) -> MonitoringAggregate | None:
    """The first result of ``kind`` published on these people under this model: reruns on the
    same people give the same figures, so the first is when a reader could first read them."""
    return db.scalars(
        select(MonitoringAggregate).where(
            MonitoringAggregate.kind == kind, MonitoringAggregate.model_version == model_version,
            MonitoringAggregate.population_revision == population_revision, MonitoringAggregate.published.is_(True),
        ).order_by(MonitoringAggregate.computed_at, MonitoringAggregate.id).limit(1)
    ).first()


def _order(row: MonitoringAggregate) -> tuple[datetime, int]:
    return _utc(row.computed_at), row.id


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def published_inputs(db: Session) -> list[Earlier]:
    """Every published drift report's input rows, one per model and population (reruns show
    the same), for ``ml.monitoring.apart_inputs``: (rows, rows by input, their definitions)."""
    query = select(MonitoringAggregate).where(MonitoringAggregate.kind == "drift",
                                               MonitoringAggregate.published.is_(True))
    out: list[Earlier] = []
    seen: set[tuple[str, str]] = set()
    for row in db.scalars(query.order_by(MonitoringAggregate.computed_at, MonitoringAggregate.id)):
        if row.population_digest is not None:
            if (row.model_version, row.population_digest) in seen:
                continue
            seen.add((row.model_version, row.population_digest))
        inputs = {str(r["input"]): r for r in row.payload.get("inputs") or [] if isinstance(r, dict)}
        out.append((int(row.payload.get("rows") or 0), inputs, dict(row.payload.get("definitions") or {})))
    return out


def history(db: Session, kind: str, model_version: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Published results, most recent first, every model version unless one is given: one per
    real change, each as its point (``point_of``) with its time and model. A rerun of the same
    model on the same people (``changed_people`` 0 from the result before it: a clients import
    reruns the backtest on unchanged outcomes) repeats its figures and is left out; the first of
    the run stays, dated when those figures appeared. Payloads are not read: a result stored
    before its point was kept (none since its kind's next job) has its point worked out here."""
    query = select(MonitoringAggregate).options(defer(MonitoringAggregate.payload)).where(
        MonitoringAggregate.kind == kind, MonitoringAggregate.published.is_(True))
    query = query.order_by(MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc()).limit(limit)
    rows = list(db.scalars(query))
    kept: list[MonitoringAggregate] = []
    for older, row in zip([None, *rows[::-1]], rows[::-1], strict=False):
        if older is not None and row.changed_people == 0 and row.model_version == older.model_version:
            continue
        kept.append(row)
    return [{"computed_at": row.computed_at, "model_version": row.model_version,
             **{k: v for k, v in (row.point if _current(row.point) else point_of(db, row)).items() if k != "version"}}
            for row in kept[::-1] if model_version is None or row.model_version == model_version]


HISTORY_KINDS = ("drift", "backtest")


@functools.cache
def point_version() -> str:
    """The version of the rules a point was worked out by: a digest of the code that decides what
    a history serves (this module, ``ml.monitoring``, ``ml.disclosure``, ``ml.grades`` and
    ``backend.portfolio.service``, whose edges a drift report is served beside). A point of
    another version is worked out again (by the route, until the next job of its kind stores
    it): a rule tightened after a result was published (a PSI withheld that was shown) applies to
    its point too, as it did when every view worked each point out, without anyone having to
    remember to raise a number. Any change to that code does the same, a refactor included: one
    history read as before the points were kept, until the next job. Without the source (a
    deployment of compiled files only), a version no point has: every point worked out."""
    from backend.portfolio import service as portfolio
    from ml import disclosure, grades
    from ml import monitoring as rules

    digest = hashlib.sha256()
    for module in (sys.modules[__name__], rules, disclosure, grades, portfolio):
        try:
            digest.update(inspect.getsource(module).encode())
        except (OSError, TypeError):
            return uuid.uuid4().hex
    return digest.hexdigest()[:16]


def _current(point: dict[str, Any] | None) -> bool:
    return point is not None and point.get("version") == point_version()


def point_of(db: Session, row: MonitoringAggregate) -> dict[str, Any]:
    """What a history lists of a published result, as it was served when it was the latest: a
    drift report's rows, level, number of alerts and its score's PSI with its range, the PSI
    withheld (None) when the report withheld a decile beside what the portfolio published on the
    same people, or one that moved (``ml.monitoring.served_score``: it would solve for it), its
    range given still; a backtest's size, AUC, Gini and rates as disclosed
    (``ml.monitoring.disclosed_outcomes``). Its inputs are fixed once the result is published: the
    payload never changes, and what it is served beside is decided by whichever of the portfolio
    and drift results on its people was published first, under the publication lock; the rules
    that turn them into figures are versioned (``point_version``). So the job that stores the
    result works it out once (``store``), not every view."""
    payload = row.payload
    if row.kind == "drift":
        rows = payload["rows"]
        score = served_score(payload["score"], rows, beside=published_edges(db, row), moved=payload.get("piece_moves"))
        return {"version": point_version(), "rows": rows, "score_psi": score["psi"],
                "score_psi_level": score.get("psi_level"), "level": payload["level"], "alerts": len(payload["alerts"])}
    shown = disclosed_outcomes(payload)
    auc, calibration = shown.get("auc") or {}, shown.get("calibration") or {}
    return {"version": point_version(), "n": payload.get("n"), "auc": auc.get("auc"), "gini": auc.get("gini"),
            "predicted_rate": calibration.get("predicted_rate"), "observed_rate": calibration.get("observed_rate")}


def fill_points(db: Session, kind: str, limit: int = 50) -> None:
    """Give the newest published results of ``kind`` (at most ``limit``, what a history lists)
    their point where they have none (stored before points were kept) or one of another version:
    after an upgrade, the first job of each kind. Only those results' payloads are read."""
    for row in db.scalars(
        select(MonitoringAggregate).options(defer(MonitoringAggregate.payload))
        .where(MonitoringAggregate.kind == kind, MonitoringAggregate.published.is_(True))
        .order_by(MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc()).limit(limit)
    ):
        if not _current(row.point):
            row.point = point_of(db, row)


def earlier(db: Session, row: MonitoringAggregate, limit: int = 100) -> list[MonitoringAggregate]:
    """Published results of the same kind computed before ``row`` (any model version), most
    recent first."""
    return list(db.scalars(
        select(MonitoringAggregate)
        .where(
            MonitoringAggregate.kind == row.kind,
            MonitoringAggregate.published.is_(True),
            or_(MonitoringAggregate.computed_at < row.computed_at,
                and_(MonitoringAggregate.computed_at == row.computed_at, MonitoringAggregate.id < row.id)),
        )
        .order_by(MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc())
        .limit(limit)
    ))


@dataclass(frozen=True)
class Freshness:
    computed_at: datetime
    age_seconds: float
    population_revision: str
    current: bool  # computed on today's population (no import, erasure or outcome since)
    pending_changes: int | None = None  # a newer result on today's population, held: 1-9 people

    def as_dict(self) -> dict[str, Any]:
        return {"computed_at": self.computed_at, "age_seconds": round(self.age_seconds, 1),
                "population_revision": self.population_revision, "current": self.current,
                "pending_changes": self.pending_changes}


def freshness(db: Session, row: MonitoringAggregate) -> Freshness:
    computed = row.computed_at if row.computed_at.tzinfo else row.computed_at.replace(tzinfo=UTC)
    today = population_revision(db, row.kind)
    pending = None
    if row.population_revision != today:
        pending = db.scalar(
            select(MonitoringAggregate.changed_people)
            .where(MonitoringAggregate.kind == row.kind, MonitoringAggregate.model_version == row.model_version,
                   MonitoringAggregate.published.is_(False), MonitoringAggregate.population_revision == today,
                   MonitoringAggregate.id > row.id)
            .order_by(MonitoringAggregate.id.desc()).limit(1)
        )
    return Freshness(
        computed_at=computed,
        age_seconds=(datetime.now(UTC) - computed).total_seconds(),
        population_revision=row.population_revision,
        current=row.population_revision == today,
        pending_changes=pending,
    )


def held(db: Session, kind: str, model_version: str) -> MonitoringAggregate | None:
    """The newest held result of ``kind`` for the model (none published for it yet, say)."""
    return db.scalars(
        select(MonitoringAggregate)
        .where(MonitoringAggregate.kind == kind, MonitoringAggregate.model_version == model_version,
               MonitoringAggregate.published.is_(False))
        .order_by(MonitoringAggregate.id.desc()).limit(1)
    ).first()
