"""Portfolio aggregates for COMEX: computed from every current client, cached, never per client.

One pass scores the whole population with the loaded bundle and computes the summary and
every segmentation at once; the result (aggregates only, no individual row) is cached under
(model version, clients revision), so the first request after an import, an erasure or a
model change is "cold" and every later one, whatever the segmentation asked, is "warm".
Segments with fewer than ``MIN_SEGMENT`` applicants are suppressed: small groups could
single a person out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from backend.cache import ResultCache
from backend.clients.service import clients_revision, load_population
from ml.features import build_matrix
from ml.grades import GRADE_NAMES, grade, grade_label

MIN_SEGMENT = 10
HISTOGRAM_BINS = 20
CACHE_KEY = "_portfolio"  # not a pseudonym (those are 64 hex characters)

SEGMENTS: dict[str, str] = {
    "contract_type": "NAME_CONTRACT_TYPE",
    "gender": "CODE_GENDER",
    "age_band": "DAYS_BIRTH",
    "income_type": "NAME_INCOME_TYPE",
    "education": "NAME_EDUCATION_TYPE",
    "family_status": "NAME_FAMILY_STATUS",
}
AGE_EDGES = (25, 35, 45, 55, 65)
AGE_LABELS = ("<25", "25-34", "35-44", "45-54", "55-64", "65+")


def age_bands(days_birth: np.ndarray) -> np.ndarray:
    years = -np.asarray(days_birth, dtype=np.float64) / 365.25
    return np.asarray(AGE_LABELS, dtype=object)[np.searchsorted(AGE_EDGES, years, side="right")]


SegmentCodes = dict[str, tuple[np.ndarray, list[str]]]


def segment_codes(population: pd.DataFrame) -> SegmentCodes:
    """Each segmentation as (integer code per applicant, label per code); missing = "unknown".

    Independent of the model, so computed once per population snapshot; aggregating is then
    a few ``bincount`` calls per model version.
    """
    out: SegmentCodes = {}
    for name, column in SEGMENTS.items():
        if name == "age_band":
            keys = age_bands(population[column].to_numpy())
        else:
            keys = population[column].astype(object).where(population[column].notna(), "unknown").to_numpy()
        codes, labels = pd.factorize(keys, sort=True)
        out[name] = (codes.astype(np.int64), [str(label) for label in labels])
    return out


def compute_aggregates(
    credit: np.ndarray, segments: SegmentCodes, probabilities: np.ndarray, threshold: float, model_version: str
) -> dict[str, Any]:
    """Everything COMEX can ask for, from one scored population (aggregates only)."""
    p = np.asarray(probabilities, dtype=np.float64)
    n = int(p.size)
    approved = p < threshold
    n_approved = int(approved.sum())
    counts, edges = np.histogram(p, bins=HISTOGRAM_BINS, range=(0.0, 1.0))
    # Grades of the fixed PD master scale (ml.grades), not bands around the threshold.
    bands = grade(p) if n else np.zeros(0, dtype=object)
    band_counts = {band: int((bands == band).sum()) for band in GRADE_NAMES}
    summary = {
        "model_version": model_version,
        "applicants": n,
        "threshold": threshold,
        "approval_rate": round(n_approved / n, 6) if n else None,
        "expected_default_rate_approved": round(float(p[approved].mean()), 6) if n_approved else None,
        "expected_loss": round(float(np.nansum(p[approved] * credit[approved])), 2) if n_approved else 0.0,
        "approved_credit": round(float(np.nansum(credit[approved])), 2) if n_approved else 0.0,
        "histogram": {"edges": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]},
        "risk_bands": [
            {"band": band, "count": band_counts[band], "share": round(band_counts[band] / n, 6) if n else 0.0}
            for band in GRADE_NAMES
        ],
    }
    tables = {name: _segments(name, codes, labels, p, approved) for name, (codes, labels) in segments.items()}
    return {"summary": summary, "segments": tables}


def _segments(name: str, codes: np.ndarray, labels: list[str], p: np.ndarray, approved: np.ndarray) -> dict[str, Any]:
    size = len(labels)
    count = np.bincount(codes, minlength=size)
    approved_count = np.bincount(codes, weights=approved.astype(np.float64), minlength=size)
    probability_sum = np.bincount(codes, weights=p, minlength=size)
    rows = []
    suppressed = 0
    for index, label in enumerate(labels):
        if count[index] < MIN_SEGMENT:
            suppressed += int(count[index] > 0)
            continue
        rows.append({
            "segment": label,
            "count": int(count[index]),
            "approval_rate": round(float(approved_count[index] / count[index]), 6),
            "mean_probability": round(float(probability_sum[index] / count[index]), 6),
        })
    return {"by": name, "segments": rows, "suppressed": suppressed}


def executive_summary(summary: dict[str, Any], lang: str) -> str:
    n = summary["applicants"]
    if not n:
        return "Aucun dossier en portefeuille." if lang == "fr" else "No applicants in the portfolio."
    rate = summary["approval_rate"] * 100
    default = (summary["expected_default_rate_approved"] or 0.0) * 100
    loss = summary["expected_loss"]
    worst = max(summary["risk_bands"], key=lambda b: b["band"] if b["count"] else "")
    if lang == "fr":
        # French typography: a (narrow) space between thousands, a comma for decimals.
        def fr(value: float, decimals: int = 0) -> str:
            return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")

        return (
            f"{fr(n)} dossiers : {fr(rate, 1)} % seraient acceptés au seuil de "
            f"{fr(summary['threshold'], 3)}. Taux de défaut attendu parmi les acceptés : "
            f"{fr(default, 1)} %. Perte attendue (probabilité × crédit, acceptés) : {fr(loss)}. "
            f"Bande de risque la plus élevée représentée : {worst['band']} "
            f"({grade_label(worst['band'], 'fr').lower()})."
        )
    return (
        f"{n:,} applicants: {rate:.1f}% would be approved at the {summary['threshold']:.3f} threshold. "
        f"Expected default rate among approved: {default:.1f}%. "
        f"Expected loss (probability x credit, approved): {loss:,.0f}. "
        f"Highest risk band present: {worst['band']} ({grade_label(worst['band'], 'en').lower()})."
    )


@dataclass(frozen=True)
class PopulationSnapshot:
    """The current clients as a model matrix plus the few columns aggregates need."""

    revision: str
    matrix: np.ndarray
    credit: np.ndarray
    segments: SegmentCodes

    def __len__(self) -> int:
        return len(self.credit)


class PopulationSnapshots:
    """One in-process snapshot per app, rebuilt when the clients revision changes.

    Reading and parsing every client's JSON costs several times the model itself, so it is
    paid once per import/erasure, not once per model version or cache expiry. Only the
    latest snapshot is kept (about 1 KB per client). It is process memory, like the score
    cache: never persisted, gone with the process.
    """

    def __init__(self) -> None:
        self._current: PopulationSnapshot | None = None
        self._lock = threading.Lock()

    def get(self, db: Session, revision: str) -> PopulationSnapshot:
        current = self._current
        if current is not None and current.revision == revision:
            return current
        with self._lock:
            current = self._current
            if current is not None and current.revision == revision:
                return current
            population = load_population(db)
            db.rollback()  # release the read transaction before the CPU-bound part
            snapshot = PopulationSnapshot(
                revision=revision,
                matrix=build_matrix(population) if len(population) else np.zeros((0, 0)),
                credit=population["AMT_CREDIT"].to_numpy(dtype=np.float64, na_value=np.nan),
                segments=segment_codes(population),
            )
            self._current = snapshot
            return snapshot


def portfolio_aggregates(db: Session, bundle: Any, cache: ResultCache, snapshots: PopulationSnapshots) -> dict[str, Any]:
    """Cached aggregates for the current (model version, client population)."""
    revision = clients_revision(db)
    kind = f"aggregates-{revision}"
    cached = cache.get(CACHE_KEY, bundle.version, kind)
    if cached is not None:
        return cached
    snapshot = snapshots.get(db, revision)
    if len(snapshot):
        # The matrix is ml.features.build_matrix output, exactly what bundle.score() predicts on.
        probabilities = np.asarray(bundle.booster.predict(snapshot.matrix, num_threads=2), dtype=np.float64)
    else:
        probabilities = np.zeros(0)
    aggregates = compute_aggregates(
        snapshot.credit, snapshot.segments, probabilities, float(bundle.threshold), bundle.version
    )
    cache.set(CACHE_KEY, bundle.version, kind, aggregates)
    return aggregates
