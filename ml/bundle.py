"""The model bundle: a directory of data files, verified at load, answering every question.

Load once per process and share::

    bundle = ModelBundle.load(directory)      # BundleIntegrityError if anything was changed

Every method takes raw application rows as a ``pd.DataFrame`` (Kaggle columns, without
``TARGET``; ``SK_ID_CURR`` may be present and is ignored), validated beforehand with
``ml.data.validate_applications`` / ``validate_records``, and answers for all rows at once.

Attributes
    ``version`` (str), ``threshold`` (float: refuse when probability >= threshold),
    ``cost_fn``/``cost_fp`` (float), ``manifest`` (dict), ``model_card`` (Markdown str),
    ``report`` (dict) and ``report_markdown`` (str), ``feature_names`` (model features,
    those the fair-lending policy allows), ``input_columns`` (the raw columns the model
    reads), ``policy`` (``ml.policy.FairLendingPolicy``, enforced at load), ``fairness`` (dict),
    ``threshold_interval`` ((low, high): the borderline zone),
    ``population_default_rate`` (float).

Methods
    ``feature_labels(lang)`` -> {feature: label} for "fr" or "en".
    ``model_card_for(lang)`` -> the model card in "en" or "fr" (Markdown).
    ``predict_features(full_matrix)`` -> probabilities for a ``build_matrix`` output (batch jobs).
    ``input_spec()`` -> {raw column: {type: number|integer|category, min, max | levels,
        nullable, label_fr, label_en[, special]}} for simulations (422 naming the field).
    ``score(raw)`` -> DataFrame ``probability``, ``decision`` ("approve"|"refuse", against
        the threshold), ``borderline`` (bool: inside the bootstrap interval of the threshold,
        see ``ml.grades``), ``risk_band`` (the fixed PD master-scale grade A-G of
        ``ml.grades``, independent of the threshold), ``display_score`` (0-1000 fixed
        scorecard mapping of the probability, higher is safer, see ``ml.grades``).
    ``explain(raw, top=10, lang="fr")`` -> per row {probability, decision, base_value,
        base_probability, reference_probability, logit, contributions: [{feature, label,
        value, percentile, shap, effect}], other: {shap, effect, count}, text}.
        ``base_probability`` is the training population's observed default rate (the
        "average risk" a person can compare with). ``shap`` is in log-odds (exact TreeSHAP
        from LightGBM's ``pred_contrib``): base_value + sum(top shap) + other.shap ==
        logit(probability). ``effect`` is the same contribution converted to probability
        points with the secant slope (p - p_ref) / (logit - base_value), where ``p_ref`` =
        ``reference_probability`` = sigmoid(base_value) is the model's reference point: the
        effects add up to p - reference_probability. ``percentile`` is on the 0-100 scale
        (``percentile_rank``: share below plus half the share equal), None for a yes/no;
        ``reasons`` (what may be told to the client) also carry ``same_share`` for a yes/no
        (0-1: the population with the same answer). Values are shown as the labels read them:
        the durations of ``ml.features.DISPLAY_NEGATED`` as positive days since (the model's
        inputs and SHAP values are unchanged).
    ``score_and_explain(raw, top, lang)`` -> (score frame, explanations) from one
        ``pred_contrib`` pass: what a "score + explain" request should call.
    ``score_one(record)`` / ``score_and_explain_one(record, top, lang)`` -> the same for one
        client given as a mapping of raw columns (None = missing), without pandas: a score
        dict of Python values and one explanation. Every one-client request uses these.
    ``compare(raw, features=None)`` -> per row {features: [{feature, label, kind, value,
        percentile, atypical, quantiles (the 101 population quantiles in the shown unit, for
        ``percentile_rank``), same_share (yes/no), hist_edges, hist_defaulters, hist_repaid,
        default_rate_by_bin, median_defaulters, median_repaid} (numbers) or {levels,
        counts, default_rate, level_share = same_share} (categories)], atypical_features, atypicality}.
        ``atypicality`` = share of the client's known numeric features outside the
        population's 1st-99th percentile band (0 = typical, 1 = everything unusual).
    ``similar(raw, k=3)`` -> per row {prototypes: [{size, default_rate, distance,
        features: {name: {median, q25, q75, missing_share} | {mode, mode_share,
        missing_share}}}], default_rate (size-weighted over the k), population_default_rate,
        features, client, min_size}: the k nearest anonymous prototypes (``ml.prototypes``),
        each summarising at least ``min_size`` (>= 10) training clients; no row is stored.
    ``population_sample(n, features=None, seed=0)`` -> {features, rows, size,
        default_rate}: up to n prototypes as points (their medians), the same for the same seed.
    ``global_importance(lang)`` -> [{feature, label, mean_abs_shap}] (computed at training).
    ``input_hash(raw_row)`` -> SHA-256 hex of the canonical JSON of the row's model inputs.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import math
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from ml.disclosure import RARE_SHARE, disclosed_population
from ml.features import (
    CATEGORICAL_FEATURES,
    DISPLAY_NEGATED,
    EXT_SOURCES,
    FEATURE_NAMES,
    FEATURE_SOURCES,
    build_matrix,
    build_row_values,
    display_value,
    value_unit,
)
from ml.grades import (
    DECISION_LABELS,
    THRESHOLD_SIDE,
    borderline,
    decision_label,
    display_score,
    display_score_of,
    distinct_digits,
    grade,
    grade_of,
    threshold_side,
)
from ml.labels import format_value, labels_for
from ml.policy import FairLendingPolicy, PolicyError
from ml.prototypes import Prototypes
from ml.schema import COLUMN_BY_NAME, LEVELS

BUNDLE_FORMAT = "octroi-bundle/1"
MODEL_FILE = "model.txt"
MANIFEST_FILE = "manifest.json"
POPULATION_FILE = "population.json"
IMPORTANCE_FILE = "importance.json"
INPUT_SPEC_FILE = "input_spec.json"
PROTOTYPES_FILE = "prototypes.json"
REPORT_JSON = "report.json"
REPORT_MD = "report.md"
MODEL_CARD = "model_card.md"
# Optional (bundles from before monitoring lack it): the drift reference, see ml.monitoring.
MONITORING_FILE = "monitoring_reference.json"
MODEL_CARD_FR = "model_card.fr.md"
_PREDICT_THREADS = 2
# Below this many rows one thread is faster: OpenMP start-up costs more than it saves.
_SINGLE_THREAD_ROWS = 64
_CATEGORICAL = frozenset(CATEGORICAL_FEATURES)
# A string as json.dumps(..., ensure_ascii=False) writes it (the same C function).
_json_str = json.encoder.encode_basestring


class BundleIntegrityError(RuntimeError):
    """The bundle is missing a file, a file does not match its SHA-256, or it is unreadable."""


def _json_float(value: float) -> str:
    """A float as ``json.dumps`` writes it (``float.__repr__``; NaN and infinities as the
    encoder's default ``allow_nan=True`` spells them)."""
    if value - value == 0.0:  # finite
        return float.__repr__(value)
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=False).encode("utf-8")


def write_bundle(
    out_dir: Path,
    *,
    manifest: dict[str, Any],
    model_text: str,
    population: dict[str, Any],
    importance: list[dict[str, Any]],
    prototypes: dict[str, Any],
    report: dict[str, Any],
    input_spec: dict[str, dict[str, Any]],
    monitoring: dict[str, Any] | None = None,
) -> Path:
    """Write every file, then the manifest with their SHA-256 (written last)."""
    from ml.report import model_card_markdown, report_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    labels = labels_for([f["name"] for f in manifest["features"]], "en")
    files: dict[str, bytes] = {
        MODEL_FILE: model_text.encode("utf-8"),
        POPULATION_FILE: _json_bytes(_nan_to_none(population)),
        IMPORTANCE_FILE: _json_bytes(importance),
        INPUT_SPEC_FILE: _json_bytes(input_spec),
        PROTOTYPES_FILE: _json_bytes(_nan_to_none(prototypes)),
        REPORT_JSON: _json_bytes(_nan_to_none(report)),
        REPORT_MD: report_markdown(report).encode("utf-8"),
        MODEL_CARD: model_card_markdown(report, importance, labels).encode("utf-8"),
        MODEL_CARD_FR: model_card_markdown(report, importance, labels, lang="fr").encode("utf-8"),
    }
    if monitoring is not None:
        files[MONITORING_FILE] = _json_bytes(_nan_to_none(monitoring))
    # A stale manifest must not vouch for half-written files.
    (out_dir / MANIFEST_FILE).unlink(missing_ok=True)
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    full = {**manifest, "files": {name: _sha256(data) for name, data in files.items()}}
    (out_dir / MANIFEST_FILE).write_bytes(_json_bytes(_nan_to_none(full)))
    return out_dir


@dataclass(frozen=True)
class Published:
    """What a bundle publishes about its training population, read from its files without
    loading the model: what a new training is compared with (``ml.disclosure.disclosed_across``,
    ``ml.fairness.fairness_across``)."""

    version: str
    population: dict[str, Any]  # as served (disclosed)
    fairness: dict[str, Any]  # as stored (the card discloses it when served)
    prototypes: dict[str, Any] | None = None  # the similar-profile groups, as served

    @classmethod
    def read(cls, directory: Path) -> Published:
        """Raises ``OSError``/``ValueError``/``KeyError`` on an unreadable bundle."""
        directory = Path(directory)
        manifest = json.loads((directory / MANIFEST_FILE).read_bytes())
        report = json.loads((directory / REPORT_JSON).read_bytes())
        prototypes = directory / PROTOTYPES_FILE
        return cls(version=str(manifest["version"]),
                   population=disclosed_population(json.loads((directory / POPULATION_FILE).read_bytes())),
                   fairness=dict(report.get("fairness") or {}),
                   prototypes=json.loads(prototypes.read_bytes()) if prototypes.exists() else None)


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    if isinstance(obj, np.floating):
        return _nan_to_none(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def percentile_rank(quantiles: list[float], value: float) -> float:
    """The population percentile (0-100) of ``value``: the share of the population strictly
    below it plus half the share equal to it (the mid-rank), read from the stored quantiles
    ``q_0 .. q_n`` (``q_k`` = ``np.percentile(population, 100 k / n)``, n = 100 in a bundle):

    - below ``q_0`` 0, above ``q_n`` 100;
    - equal to ``q_a .. q_b`` (a value many people share, or a single quantile when a = b):
      the middle of them, ``100 (a + b) / 2n``; the population's smallest value reads 0 only
      when few people share it (0 relatives in default, held by 87 %, reads 43.5);
    - strictly between ``q_k`` and ``q_k+1``: linear between them, the exact inverse of the
      quantiles (``np.percentile`` interpolates linearly).

    The same definition for every number an answer places on a 0-100 scale (the client's
    value, the similar clients' median on the dashboard), and symmetric: the percentile of
    ``-v`` among the negated quantiles is 100 minus that of ``v``."""
    n = len(quantiles) - 1
    left = bisect_left(quantiles, value)
    right = bisect_right(quantiles, value)
    if n <= 0:
        return 50.0
    if right > left:
        return 100.0 * (left + right - 1) / (2.0 * n)
    if left == 0:
        return 0.0
    if left > n:
        return 100.0
    low, high = quantiles[left - 1], quantiles[left]
    return 100.0 * (left - 1 + (value - low) / (high - low)) / n


def _display_quantiles(name: str, quantiles: list[float]) -> list[float]:
    """The stored quantiles of a feature in the unit its answers show (ascending)."""
    if name in DISPLAY_NEGATED:
        return [0.0 - q for q in reversed(quantiles)]
    return list(quantiles)


def _display_histogram(name: str, ref: dict[str, Any]) -> dict[str, Any]:
    """The population's histogram and medians of a feature in the unit its answers show: the
    negated durations mirrored (edges negated and reversed, bins reversed)."""
    keys = ("hist_edges", "hist_defaulters", "hist_repaid", "default_rate_by_bin")
    out: dict[str, Any] = {key: ref.get(key) for key in keys}
    out.update(median_defaulters=ref.get("median_defaulters"), median_repaid=ref.get("median_repaid"))
    if name in DISPLAY_NEGATED:
        for key in keys:
            if out[key] is not None:
                out[key] = list(reversed(out[key]))
        if out["hist_edges"] is not None:
            out["hist_edges"] = [0.0 - e for e in out["hist_edges"]]
        for key in ("median_defaulters", "median_repaid"):
            out[key] = display_value(name, out[key])
    return out


def _display_summary(name: str, summary: dict[str, Any]) -> dict[str, Any]:
    """A prototype's summary of a feature in the unit its answers show (a copy when changed)."""
    if name not in DISPLAY_NEGATED:
        return summary
    return {**summary, "median": display_value(name, summary.get("median")),
            "q25": display_value(name, summary.get("q75")), "q75": display_value(name, summary.get("q25"))}


_C_API_PREDICT_NORMAL = 0  # LightGBM's c_api.h
_C_API_PREDICT_CONTRIB = 3
_C_API_DTYPE_FLOAT64 = 1


def _free_fast_config(lib: Any, handle: ctypes.c_void_p) -> None:
    lib.LGBM_FastConfigFree(handle)


class _OneRowPredictor:
    """``booster.predict(x, num_threads=1)`` (``contrib``: with ``pred_contrib=True``) for one
    row through LightGBM's own single-row API (``LGBM_BoosterPredictForMatSingleRowFast``):
    the same code and numbers (``tests/test_ml_one_row.py`` compares them bit for bit), with
    the set-up (parameters, predictor) done once per bundle rather than per call. LightGBM
    guards the shared single-row predictor with a mutex: safe from the API's threads."""

    def __init__(self, booster: lgb.Booster, ncol: int, contrib: bool) -> None:
        from lightgbm.basic import _LIB, _c_str, _safe_call

        self._booster = booster  # the handle below points into it: keep it alive
        self._ncol = ncol
        self._nout = ncol + 1 if contrib else 1
        self._lib, self._check = _LIB, _safe_call
        self._handle = ctypes.c_void_p()
        # As booster.predict picks the iterations by default (start 0, best iteration or all).
        _safe_call(_LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
            booster._handle, ctypes.c_int(_C_API_PREDICT_CONTRIB if contrib else _C_API_PREDICT_NORMAL), ctypes.c_int(0),
            ctypes.c_int(booster.best_iteration), ctypes.c_int(_C_API_DTYPE_FLOAT64), ctypes.c_int32(ncol),
            _c_str("num_threads=1"), ctypes.byref(self._handle),
        ))  # fmt: skip
        weakref.finalize(self, _free_fast_config, _LIB, self._handle)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        row = np.ascontiguousarray(x, dtype=np.float64)
        if row.shape != (1, self._ncol):
            raise ValueError(f"one row of {self._ncol} features expected, got shape {row.shape}")
        out = np.empty((1, self._nout), dtype=np.float64)
        out_len = ctypes.c_int64()
        self._check(self._lib.LGBM_BoosterPredictForMatSingleRowFast(
            self._handle, row.ctypes.data_as(ctypes.c_void_p), ctypes.byref(out_len),
            out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        ))  # fmt: skip
        if out_len.value != self._nout:
            raise RuntimeError(f"LightGBM wrote {out_len.value} values, expected {self._nout}")
        return out


def _one_row_predictor(booster: lgb.Booster, ncol: int, contrib: bool) -> Any:
    """The single-row fast path, or ``booster.predict`` if this LightGBM lacks it: a function
    of a (1, ncol) row giving a (1, ncol + 1) contributions row or a (1, 1) probability."""
    try:
        return _OneRowPredictor(booster, ncol, contrib)
    except (AttributeError, ImportError, lgb.basic.LightGBMError):
        return lambda x: np.asarray(booster.predict(x, pred_contrib=contrib, num_threads=1),
                                    dtype=np.float64).reshape(1, -1)


# Features that count an applicant's blanks (not beyond anything the model learned: see
# ``ModelBundle.beyond_training``).
BLANK_COUNTS = frozenset({"EXT_SOURCE_MISSING"})


class ModelBundle:
    """A verified, loaded bundle; see the module docstring for the full interface."""

    def __init__(self, directory: Path, manifest: dict[str, Any], blobs: dict[str, bytes]) -> None:
        self.directory = directory
        self.manifest = manifest
        self.version: str = manifest["version"]
        self.threshold: float = float(manifest["threshold"])
        self.cost_fn: float = float(manifest["cost_fn"])
        self.cost_fp: float = float(manifest["cost_fp"])
        interval = manifest["threshold_interval"]
        self.threshold_interval: tuple[float, float] = (float(interval["low"]), float(interval["high"]))
        self.feature_names: list[str] = [f["name"] for f in manifest["features"]]
        self.input_columns: list[str] = list(manifest["input_columns"])
        # The fair-lending policy is enforced here, not only at training: a bundle whose model
        # reads an excluded attribute (or a feature derived from one) is refused. Within what
        # the policy allows, a bundle carries its own feature list (in the library's order), so
        # versions with different features are served side by side.
        try:
            self.policy = FairLendingPolicy.from_dict(manifest.get("fairness_policy"))
        except PolicyError as exc:
            raise BundleIntegrityError(f"{directory / MANIFEST_FILE}: fairness policy refused ({exc})") from None
        allowed = self.policy.features
        if (not self.feature_names or any(name not in allowed for name in self.feature_names)
                or self.feature_names != [n for n in allowed if n in set(self.feature_names)]
                or self.input_columns != self.policy.input_columns):
            raise BundleIntegrityError(
                f"{directory / MANIFEST_FILE}: the bundle's features do not match its fairness policy "
                "under this code's feature engineering; retrain the model"
            )
        self.booster = lgb.Booster(model_str=blobs[MODEL_FILE].decode("utf-8"))
        if self.booster.feature_name() != self.feature_names:
            raise BundleIntegrityError(f"{directory / MODEL_FILE}: the model's inputs are not the policy's features")
        self._protected = {name: self.policy.protected_attribute_of(name) for name in self.feature_names}
        self._contributions_one = _one_row_predictor(self.booster, len(self.feature_names), contrib=True)
        self._probability_one = _one_row_predictor(self.booster, len(self.feature_names), contrib=False)
        # A bundle trained before its reference was disclosed is served disclosed all the same.
        self.population: dict[str, Any] = disclosed_population(json.loads(blobs[POPULATION_FILE]))
        self._importance: list[dict[str, Any]] = json.loads(blobs[IMPORTANCE_FILE])
        self._input_spec: dict[str, dict[str, Any]] = json.loads(blobs[INPUT_SPEC_FILE])
        self.report: dict[str, Any] = json.loads(blobs[REPORT_JSON])
        self.monitoring_reference: dict[str, Any] | None = (
            json.loads(blobs[MONITORING_FILE]) if MONITORING_FILE in blobs else None
        )
        # Anonymous groups of at least 10 people: the bundle holds no training row.
        self.prototypes = Prototypes(json.loads(blobs[PROTOTYPES_FILE]))
        self.population_default_rate = float(self.population["default_rate"])
        self._labels = {lang: labels_for(self.feature_names, lang) for lang in ("fr", "en")}
        self._reason_keys, self._reason_matrix = _reason_groups(self.feature_names, self._protected)
        # features x justified protected attributes: what the reasons leave out, summed per attribute.
        attributes = sorted({a for a in self._protected.values() if a})
        self._protected_matrix = np.array(
            [[float(self._protected[name] == a) for a in attributes] for name in self.feature_names]
        ).reshape(len(self.feature_names), len(attributes))
        # Per reason: its member features and, for a one-feature reason, that feature's column.
        self._reason_members = [
            (members, self.feature_names.index(members[0]))
            for members in ([self.feature_names[j] for j in np.flatnonzero(self._reason_matrix[:, g])]
                            for g in range(len(self._reason_keys)))
        ]
        # The policy's column choice and merged levels (``policy.model_matrix``) as lookups
        # prepared once, for one row; the one-row test proves both give the same matrix.
        self._row_column_list = [FEATURE_NAMES.index(f) for f in self.feature_names]
        self._row_merges = [
            (self.feature_names.index(column),
             [(float(LEVELS[column].index(a)), float(LEVELS[column].index(b))) for a, b in mapping.items()])
            for column, mapping in self.policy.merge_levels.items() if column in self.feature_names
        ]
        # Numeric reference arrays, prepared once for vectorised percentiles/atypicality.
        self._numeric = [
            name for name in self.feature_names
            if name not in CATEGORICAL_FEATURES and self.population["features"][name].get("quantiles")
        ]
        self._numeric_idx = np.array([self.feature_names.index(n) for n in self._numeric])
        self._quantiles = {
            n: np.asarray(self.population["features"][n]["quantiles"], dtype=np.float64) for n in self._numeric
        }
        # Percentiles are of the value as shown (positive days since for DISPLAY_NEGATED).
        self._quantile_lists = {n: _display_quantiles(n, q.tolist()) for n, q in self._quantiles.items()}
        # A yes/no has no percentile: its sentences give the share with the same answer.
        self._flags = frozenset(n for n in self.feature_names if value_unit(n) == "flag")
        self._yes_share = {
            n: float(self.population["features"][n]["mean"]) for n in self._flags
            if self.population["features"][n].get("mean") is not None
        }
        self._p01 = np.array([self._quantiles[n][1] for n in self._numeric])
        self._p99 = np.array([self._quantiles[n][99] for n in self._numeric])
        # The ends of the training population's values (its 10th smallest and largest), pushed
        # out by the span of the outermost percentile (end to the 1st or 99th): beyond them the
        # trees extrapolate. Just past an end, 9 training people still lie (a building's area
        # 0.0002 above it was said to make the score an extrapolation).
        ends = np.array([[self._quantiles[n][k] for k in (0, 1, 99, 100)] for n in self._numeric]).reshape(-1, 4)
        self._lowest = ends[:, 0] - (ends[:, 1] - ends[:, 0])
        self._highest = ends[:, 3] + (ends[:, 3] - ends[:, 2])
        rank = {row["feature"]: i for i, row in enumerate(self._importance)}
        # A count of blanks is left out: blanks the model never learned are named apart
        # (``unlearned_unknowns``), whatever their number. So is a yes/no: its ends are 0 or 1,
        # and a rare answer (a document 6 people gave) lies beyond ends clipped to the 10th.
        self._by_importance = sorted((j for j, n in enumerate(self._numeric)
                                      if n not in BLANK_COUNTS and n not in self._flags),
                                     key=lambda j: rank.get(self._numeric[j], len(rank)))
        # input_hash's canonical JSON in pieces: '"NAME":' already encoded, in sorted order.
        self._hash_columns = [
            (_json_str(name) + ":", COLUMN_BY_NAME[name].is_categorical, name)
            for name in sorted(dict.fromkeys(self.input_columns))
        ]

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, directory: str | Path) -> ModelBundle:
        """Read and verify a bundle; raise :class:`BundleIntegrityError` naming the file."""
        directory = Path(directory)
        manifest_path = directory / MANIFEST_FILE
        if not manifest_path.is_file():
            raise BundleIntegrityError(f"{manifest_path}: missing (no model bundle in {directory})")
        try:
            manifest = json.loads(manifest_path.read_bytes())
        except (OSError, ValueError) as exc:
            raise BundleIntegrityError(f"{manifest_path}: unreadable ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
            raise BundleIntegrityError(f"{manifest_path}: not an {BUNDLE_FORMAT} manifest")
        expected = manifest.get("files")
        required = {MODEL_FILE, POPULATION_FILE, IMPORTANCE_FILE, INPUT_SPEC_FILE, PROTOTYPES_FILE,
                    REPORT_JSON, REPORT_MD, MODEL_CARD, MODEL_CARD_FR}  # fmt: skip
        if not isinstance(expected, dict) or not required <= set(expected):
            missing = sorted(required - set(expected or {}))
            raise BundleIntegrityError(f"{manifest_path}: does not list {', '.join(missing)}")
        blobs: dict[str, bytes] = {}
        for name, digest in expected.items():
            path = directory / name
            if Path(name).name != name:
                raise BundleIntegrityError(f"{manifest_path}: invalid file name {name!r}")
            if not path.is_file():
                raise BundleIntegrityError(f"{path}: missing file listed in the manifest")
            data = path.read_bytes()
            # The bytes that were hashed are the bytes parsed: no window for a swap.
            if _sha256(data) != digest:
                raise BundleIntegrityError(f"{path}: SHA-256 mismatch, the file was modified")
            blobs[name] = data
        try:
            return cls(directory, manifest, blobs)
        except (KeyError, ValueError, lgb.basic.LightGBMError) as exc:
            raise BundleIntegrityError(f"{directory}: inconsistent bundle ({exc})") from exc

    # ------------------------------------------------------------------ metadata
    @property
    def fairness(self) -> dict[str, Any]:
        return self.manifest["fairness"]

    # The Markdown (card and report) is rendered from the report the manifest vouches for, by
    # today's rules, when first asked: the files written at training are checked, not served
    # (one written before small fairness groups were pooled printed a group of 3 people's rates,
    # ml.fairness.disclosed).
    @functools.cached_property
    def report_markdown(self) -> str:
        from ml.report import report_markdown

        return report_markdown(self.report)

    @functools.cached_property
    def model_card(self) -> str:
        """The model card in English."""
        return self._render_card("en")

    @functools.cached_property
    def _model_card_fr(self) -> str:
        return self._render_card("fr")

    def _render_card(self, lang: str) -> str:
        from ml.report import model_card_markdown

        return model_card_markdown(self.report, self._importance, self._labels["en"], lang=lang)

    def model_card_for(self, lang: str = "en") -> str:
        """The model card in English ("en") or French ("fr")."""
        if lang not in ("fr", "en"):
            raise ValueError("lang must be 'fr' or 'en'")
        return self._model_card_fr if lang == "fr" else self.model_card

    def feature_labels(self, lang: str = "fr") -> dict[str, str]:
        if lang not in self._labels:
            raise ValueError("lang must be 'fr' or 'en'")
        return dict(self._labels[lang])

    def input_spec(self) -> dict[str, dict[str, Any]]:
        return json.loads(json.dumps(self._input_spec))

    def global_importance(self, lang: str = "fr") -> list[dict[str, Any]]:
        labels = self.feature_labels(lang)
        return [{**row, "label": labels[row["feature"]]} for row in self._importance]

    def input_hash(self, raw_row: Mapping[str, Any]) -> str:
        """SHA-256 of the canonical JSON of one row's model inputs (sorted keys, numbers as
        floats, categories as text, missing as null) so equal inputs hash equal.

        The text is exactly ``json.dumps(canonical, sort_keys=True, separators=(",", ":"),
        ensure_ascii=False)`` (audit events carry this hash: it must never change), written
        from per-bundle pieces prepared at load (sorted keys already encoded, one kind per
        column) instead of a dict handed to the encoder; ``tests/test_ml_one_row.py`` proves
        the two texts equal on awkward rows."""
        get = raw_row.get
        parts = []
        for key, categorical, name in self._hash_columns:
            value = get(name)
            kind = type(value)
            # The stored JSON's own types first (float, int, str), then anything else.
            if value is None:
                text = "null"
            elif kind is float and not categorical:
                text = "null" if value != value else _json_float(value)
            elif kind is int and not categorical:
                text = _json_float(float(value))
            elif kind is str and categorical:
                text = "null" if value == "" else _json_str(value)
            elif (isinstance(value, float) and value != value) or value == "":
                text = "null"
            elif categorical:
                text = _json_str(str(value))
            else:
                text = _json_float(float(value))
            parts.append(key + text)
        return _sha256(("{" + ",".join(parts) + "}").encode("utf-8"))

    # ------------------------------------------------------------------ scoring
    def _matrix(self, raw: pd.DataFrame) -> np.ndarray:
        return self.policy.model_matrix(build_matrix(raw), self.feature_names)

    def predict_features(self, full: np.ndarray) -> np.ndarray:
        """Probabilities for a ``ml.features.build_matrix`` output (all features): the policy
        and the bundle's feature list pick the model's columns. For batch jobs."""
        x = self.policy.model_matrix(full, self.feature_names)
        return np.asarray(self.booster.predict(x, num_threads=_threads(len(x))), dtype=np.float64)

    def _row(self, record: Mapping[str, Any]) -> np.ndarray:
        # The same policy step as the batch path (column subset, merged levels), on one row,
        # on Python floats: one array built at the end rather than numpy scalar reads/writes.
        values = build_row_values(record)
        x = [values[j] for j in self._row_column_list]
        for j, merges in self._row_merges:
            for level, target in merges:  # in order, as model_matrix applies them
                if x[j] == level:
                    x[j] = target
        return np.array([x], dtype=np.float64)

    def beyond_training(self, record: Mapping[str, Any]) -> list[str]:
        """The numeric model inputs of one client (the derived ratios included; not a yes/no nor
        a count of blanks) whose value lies beyond the ends of the training population's stored
        quantiles, which ``compare`` already gives: its 10th smallest and 10th largest values
        (``ml.train`` clips them so that no end is one person's), so fewer than 10 people lay
        beyond, and by more than the span of the outermost percentile (the end to the 1st or
        the 99th), so that a value a hair past an end, among those 9, is not named. The model's
        most important first. No split of at least ``min_child_samples``
        people separates values there: an income of 1 or an annuity 19 times the income is
        scored like the most extreme cases it learned from, whatever the value."""
        values = self._row(record)[0, self._numeric_idx]
        with np.errstate(invalid="ignore"):
            outside = (values < self._lowest) | (values > self._highest)
        return [self._numeric[j] for j in self._by_importance if outside[j]]

    def _scores(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "probability": p,
            "decision": np.where(p >= self.threshold, "refuse", "approve").astype(object),
            "borderline": borderline(p, self.threshold_interval),
            "risk_band": grade(p),
            "display_score": display_score(p),
        }

    def _score_frame(self, p: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(self._scores(p))

    def score(self, raw: pd.DataFrame) -> pd.DataFrame:
        x = self._matrix(raw)
        p = self.booster.predict(x, num_threads=_threads(len(x)))
        return self._score_frame(np.asarray(p, dtype=np.float64))

    def score_one(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """``score`` for one client given as a mapping of raw columns (None = missing), without
        pandas: {probability, decision, borderline, risk_band, display_score} as Python values,
        the same numbers as ``score`` gives for that row."""
        p = self._probability_one(self._row(record)).item()
        # The batch path's _scores on one float (grades.grade_of/display_score_of: same values).
        low, high = self.threshold_interval
        return {
            "probability": p,
            "decision": "refuse" if p >= self.threshold else "approve",
            "borderline": low <= p < high,
            "risk_band": grade_of(p),
            "display_score": display_score_of(p),
        }

    def _contributions(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(x, pred_contrib=True, num_threads=_threads(len(x))), dtype=np.float64)

    def explain(self, raw: pd.DataFrame, top: int = 10, lang: str = "fr") -> list[dict[str, Any]]:
        return self.score_and_explain(raw, top=top, lang=lang)[1]

    def score_and_explain(
        self, raw: pd.DataFrame, top: int = 10, lang: str = "fr"
    ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        self._check_explain_args(top, lang)
        scores, out = self._explain_matrix(self._matrix(raw), top, lang)
        return pd.DataFrame(scores), out

    def score_and_explain_one(
        self, record: Mapping[str, Any], top: int = 10, lang: str = "fr"
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``score_and_explain`` for one client given as a mapping of raw columns (None =
        missing), without pandas: (score dict as ``score_one``, explanation). Feature vector
        built straight in the bundle's feature order, then one ``pred_contrib`` pass; the same
        numbers as the batch path (``tests/test_ml_one_row.py``)."""
        self._check_explain_args(top, lang)
        return self._explain_one(self._row(record), top, lang)

    def _check_explain_args(self, top: int, lang: str) -> None:
        if lang not in self._labels:
            raise ValueError("lang must be 'fr' or 'en'")
        if top < 1:
            raise ValueError("top must be at least 1")

    def _explain_matrix(
        self, x: np.ndarray, top: int, lang: str
    ) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
        """The batch path: one ``pred_contrib`` pass, vectorised probabilities and slopes,
        then ``_explanation`` per row (shared with the one-row path, so both give the same bits)."""
        return self._explain_contributions(self._contributions(x), x, top, lang)

    def _explain_contributions(
        self, contrib: np.ndarray, x: np.ndarray, top: int, lang: str
    ) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
        shap_values, base = contrib[:, :-1], contrib[:, -1]
        logit = contrib.sum(axis=1)
        # The probability from the same pass (sigmoid of the raw-score sum): predict's within
        # float rounding (tests/test_ml_one_row.py), one booster call instead of two.
        p = 1.0 / (1.0 + np.exp(-logit))
        scores = self._scores(p)
        p_base = 1.0 / (1.0 + np.exp(-base))
        delta = logit - base
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(np.abs(delta) > 1e-9, (p - p_base) / delta, p_base * (1 - p_base))
        k = min(top, len(self.feature_names))
        order = np.argsort(-np.abs(shap_values), axis=1, kind="stable")[:, :k]
        # Python floats once per row, rather than a numpy scalar conversion per field.
        p_list, base_list, p_base_list, logit_list, slope_list = (
            a.tolist() for a in (p, base, p_base, logit, slope)
        )
        decisions = scores["decision"]
        out = [
            self._explanation(x[i].tolist(), shap_values[i], order[i], p_list[i], decisions[i], base_list[i],
                              p_base_list[i], logit_list[i], slope_list[i], lang)
            for i in range(len(x))
        ]  # fmt: skip
        return scores, out

    def _explain_one(self, x: np.ndarray, top: int, lang: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The one-row path: the batch path's arithmetic on Python floats instead of
        one-element arrays (a numpy call on one value costs more than the value), the same
        IEEE operations in the same order, numpy's own exp and sums: the same bits
        (``tests/test_ml_one_row.py`` compares them on many rows and on made-up contributions)."""
        return self._explain_contributions_one(self._contributions_one(x), x, top, lang)

    def _explain_contributions_one(
        self, contrib: np.ndarray, x: np.ndarray, top: int, lang: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        shap_row = contrib[0, :-1]
        logit = contrib.sum(axis=1).item()  # numpy's pairwise sum, as the batch path
        base = contrib[0, -1].item()
        p = 1.0 / (1.0 + np.exp(-logit).item())
        p_base = 1.0 / (1.0 + np.exp(-base).item())
        delta = logit - base
        slope = (p - p_base) / delta if abs(delta) > 1e-9 else p_base * (1 - p_base)
        decision = "refuse" if p >= self.threshold else "approve"
        low, high = self.threshold_interval
        score = {
            "probability": p,
            "decision": decision,
            "borderline": low <= p < high,
            "risk_band": grade_of(p),
            "display_score": display_score_of(p),
        }
        k = min(top, len(self.feature_names))
        order = np.argsort(-np.abs(shap_row), kind="stable")[:k]
        return score, self._explanation(x[0].tolist(), shap_row, order, p, decision, base, p_base, logit, slope, lang)

    def _explanation(
        self, row_x: list[float], row_shap: np.ndarray, picked: np.ndarray, p: float, decision: str,
        base: float, p_base: float, logit: float, slope: float, lang: str,
    ) -> dict[str, Any]:  # fmt: skip
        """One row's explanation from its probability and contributions (Python floats, the
        row's SHAP values and their top-k order), shared by the batch and one-row paths.
        ``row_x`` is the row as Python floats: percentiles bisect lists of floats, and a numpy
        scalar costs several times more per comparison than a float (same values, same order)."""
        labels, names, protected, percentile_of = self._labels[lang], self.feature_names, self._protected, self._percentile_of
        contributions = []
        for j, shap in zip(picked.tolist(), row_shap[picked].tolist(), strict=True):
            name = names[j]
            value = display_value(name, row_x[j])
            contributions.append(
                {
                    "feature": name,
                    "label": labels[name],
                    "value": _decode(name, value),
                    "unit": value_unit(name),
                    "percentile": percentile_of(name, value),
                    "shap": shap,
                    "effect": shap * slope,
                    # A justified protected attribute: shown to the advisor, marked, never a reason.
                    "protected": protected[name],
                }
            )
        other = float(row_shap.sum() - row_shap[picked].sum())
        k = len(picked)
        explanation = {
            "probability": p,
            "decision": decision,
            "base_value": base,
            "base_probability": self.population_default_rate,
            "reference_probability": p_base,
            "logit": logit,
            "contributions": contributions,
            "other": {"shap": other, "effect": other * slope, "count": len(names) - k},
        }
        explanation["reasons"] = self._reasons(row_x, row_shap, slope, k, lang)
        # The weight of the heaviest justified protected attribute (log-odds, absolute): never
        # a reason, but the text says when it weighed more than a factor it names.
        left_out = float(np.abs(row_shap @ self._protected_matrix).max()) if self._protected_matrix.size else 0.0
        explanation["text"] = _explanation_text(explanation, self.threshold, lang, left_out)
        return explanation

    def _reasons(self, x: list[float], shap_row: np.ndarray, slope: float, top: int, lang: str) -> list[dict[str, Any]]:
        """Reasons that can be given to a person: correlated families (the external scores)
        summed into one, justified protected attributes left out, biggest first. ``x`` is
        the row as Python floats."""
        grouped = shap_row @ self._reason_matrix
        order = np.argsort(-np.abs(grouped), kind="stable")[:top]
        grouped_list = grouped.tolist()
        labels = self._labels[lang]
        out = []
        for g in order.tolist():
            key = self._reason_keys[g]
            members, at = self._reason_members[g]
            single = members[0] if len(members) == 1 else None
            shap = grouped_list[g]
            value = display_value(single, x[at]) if single else None
            out.append(
                {
                    "key": key,
                    "label": labels[single] if single else REASON_FAMILY_LABELS[key][lang],
                    "features": list(members),
                    "value": _decode(single, value) if single else None,
                    "unit": value_unit(single) if single else None,
                    "percentile": self._percentile_of(single, value) if single else None,
                    "same_share": self._same_share(single, value) if single else None,
                    "shap": shap,
                    "effect": shap * slope,
                }
            )
        return out

    # ------------------------------------------------------------------ population
    def _percentile_of(self, name: str, value: float) -> float | None:
        """:func:`percentile_rank` of a value as shown (``ml.features.display_value``); None
        for a yes/no (a percentile of a flag means nothing), a category or a missing value."""
        q = self._quantile_lists.get(name)
        if q is None or value is None or value != value or name in self._flags:
            return None
        # bisect on the stored quantiles as a list of floats: no array for one value.
        return percentile_rank(q, value)

    def _known(self, ref: dict[str, Any]) -> int | None:
        """How many training clients have a known value of a category: the rows less the missing
        share, or (no missing share served) the counts added up; None when neither is known."""
        if ref.get("missing_rate") is not None:
            return round(int(self.population["rows"]) * (1.0 - float(ref["missing_rate"]))) or None
        return None if None in ref["counts"] else sum(ref["counts"]) or None

    def _same_share(self, name: str, value: float) -> float | None:
        """For a yes/no: the share of the population (0-1) with the same answer; else None."""
        yes = self._yes_share.get(name)
        if yes is None or value is None or value != value:
            return None
        return yes if value else 1.0 - yes

    def _atypicality(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = x[:, self._numeric_idx]
        known = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            outside = known & ((values < self._p01) | (values > self._p99))
        score = outside.sum(axis=1) / np.maximum(known.sum(axis=1), 1)
        return outside, score

    def compare(self, raw: pd.DataFrame, features: list[str] | None = None, *,
                with_atypical: bool = False) -> list[dict[str, Any]]:
        """See the module docstring; ``with_atypical``: each row's ``features`` continue with every
        feature its ``atypicality`` counts that ``features`` does not name (so a page that shows
        the index can list what makes it)."""
        if features is None:
            features = [row["feature"] for row in self._importance[:8]]
        unknown = [f for f in features if f not in self.feature_names]
        if unknown:
            raise ValueError(f"unknown feature(s): {', '.join(unknown)}")
        x = self._matrix(raw)
        outside, atypicality = self._atypicality(x)
        labels = self._labels["fr"], self._labels["en"]
        out = []
        for i in range(len(x)):
            rows = []
            atypical_names = [self._numeric[j] for j in np.flatnonzero(outside[i])]
            shown_names = features + [n for n in atypical_names if n not in features] if with_atypical else features
            for name in shown_names:
                j = self.feature_names.index(name)
                ref = self.population["features"][name]
                value = float(x[i, j])
                shown = display_value(name, value)
                entry: dict[str, Any] = {
                    "feature": name,
                    "label_fr": labels[0][name],
                    "label_en": labels[1][name],
                    "kind": ref["kind"],
                    "value": _decode(name, shown),
                    "unit": value_unit(name),
                    "missing_rate": ref["missing_rate"],
                }
                if ref["kind"] == "category":
                    # A level withheld (1 to 9 people of one outcome, or what subtraction would
                    # give) has no count: its share is not known either; ``rare`` is. Another
                    # level's share is its count over the people with a known value (the rows
                    # and the missing share give them, withheld levels or not).
                    counts = ref["counts"]
                    level = None if np.isnan(value) else int(value)
                    known = self._known(ref)
                    share = None if level is None or counts[level] is None or not known else counts[level] / known
                    entry.update(
                        levels=ref["levels"],
                        counts=counts,
                        default_rate=ref["default_rate"],
                        level_share=share,
                        same_share=share,
                        percentile=None,
                        # A level held by under 1% of the population is unusual.
                        atypical=bool(level is not None and ref["rare"][level]),
                    )
                else:
                    pct = self._percentile_of(name, shown)
                    q = ref.get("quantiles")
                    atypical = bool(q is not None and not np.isnan(value) and (value < q[1] or value > q[99]))
                    # Everything in the unit the value is shown in (DISPLAY_NEGATED mirrored).
                    shown_q = self._quantile_lists.get(name)
                    entry.update(
                        percentile=pct,
                        atypical=atypical,
                        p01=None if shown_q is None else shown_q[1],
                        p99=None if shown_q is None else shown_q[99],
                        # The page places the similar clients' median with percentile_rank on these.
                        quantiles=None if shown_q is None else list(shown_q),
                        same_share=self._same_share(name, value),
                        **_display_histogram(name, ref),
                    )
                rows.append(entry)
            out.append(
                {
                    "features": rows,
                    "atypical_features": atypical_names,
                    "atypicality": float(atypicality[i]),
                    "population_default_rate": self.population_default_rate,
                }
            )
        return out

    def similar(self, raw: pd.DataFrame, k: int = 3) -> list[dict[str, Any]]:
        """The ``k`` anonymous prototypes nearest each row (see ``ml.prototypes``)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        x = self._matrix(raw)
        indices, distances = self.prototypes.nearest(x, self.feature_names, k)
        names = self.prototypes.features
        out = []
        for i in range(len(x)):
            chosen = []
            for idx, d in zip(indices[i], distances[i], strict=True):
                item = self.prototypes.items[idx]
                chosen.append({"size": item["size"], "default_rate": item["default_rate"], "distance": float(d),
                               "features": {n: _display_summary(n, v) for n, v in item["features"].items()}})  # fmt: skip
            sizes = np.array([c["size"] for c in chosen])
            rates = np.array([c["default_rate"] for c in chosen])
            out.append(
                {
                    "features": list(names),
                    # The client's own values beside the groups' medians and modes.
                    "client": {n: _decode(n, display_value(n, float(x[i, self.feature_names.index(n)]))) for n in names},
                    "units": {n: value_unit(n) for n in names},
                    "prototypes": chosen,
                    # Size-weighted: the default rate of all the people in these groups.
                    "default_rate": float((sizes * rates).sum() / sizes.sum()),
                    "population_default_rate": self.population_default_rate,
                    "min_size": int(self.prototypes.reference["min_size"]),
                }
            )
        return out

    def population_sample(self, n: int, features: list[str] | None = None, seed: int = 0) -> dict[str, Any]:
        """Up to ``n`` anonymous prototypes as points (the median of each numeric prototype
        feature), with their size and default rate -> {features, rows, size, default_rate};
        the same prototypes for the same ``seed``. No training row exists in the bundle.

        ``features`` is narrowed to the prototypes' numeric features; a name that is not a
        model feature is a ValueError.
        """
        if n < 0:
            raise ValueError("n must be at least 0")
        available = list(self.prototypes.space.numeric)
        wanted = available if features is None else list(features)
        unknown = [f for f in wanted if f not in self.feature_names]
        if unknown:
            raise ValueError(f"unknown feature(s): {', '.join(unknown)}")
        names = [f for f in wanted if f in available]
        items = self.prototypes.items
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.choice(len(items), size=min(n, len(items)), replace=False))
        return {
            "features": names,
            "rows": [[display_value(f, items[i]["features"][f]["median"]) for f in names] for i in idx],
            "size": [int(items[i]["size"]) for i in idx],
            "default_rate": [float(items[i]["default_rate"]) for i in idx],
        }


REASON_FAMILY_LABELS = {
    "external_scores": {"fr": "Scores externes (agences de notation de crédit)", "en": "External credit scores"},
}


def _reason_groups(features: list[str], protected: dict[str, str | None]) -> tuple[list[str], np.ndarray]:
    """(reason keys, features x reasons 0/1 matrix): every feature computed only from the
    external scores is one reason; a justified protected attribute is in none."""
    keys: list[str] = []
    for name in features:
        if protected[name]:
            continue
        key = "external_scores" if set(FEATURE_SOURCES[name]) <= set(EXT_SOURCES) else name
        if key not in keys:
            keys.append(key)
    matrix = np.zeros((len(features), len(keys)))
    for j, name in enumerate(features):
        if protected[name]:
            continue
        key = "external_scores" if set(FEATURE_SOURCES[name]) <= set(EXT_SOURCES) else name
        matrix[j, keys.index(key)] = 1.0
    return keys, matrix


def _threads(rows: int) -> int:
    return 1 if rows <= _SINGLE_THREAD_ROWS else _PREDICT_THREADS


def _decode(name: str, value: float) -> float | str | None:
    if value != value:  # NaN
        return None
    if name in _CATEGORICAL:
        return LEVELS[name][int(value)]
    return float(value)


def share_digits(share: float) -> int:
    """The decimals a share of the population (0-1) is written with, as a percentage: none,
    unless it would then read 0 % or 100 % without being so (a yes held by 0.012 % of the
    population is "0,01 %", not "0 %"), or read as the 1 % under which an answer is rare
    (``RARE_SHARE``: an atypical level held by 0.57 % reads "0,6 %", not "1 %"), at most two.
    The dashboard's ``ui.same_share`` writes the same figure (a test pins them)."""
    return max(distinct_digits(share, 0.0, 0, 2), distinct_digits(share, 1.0, 0, 2),
               distinct_digits(share, RARE_SHARE, 0, 2))


def _pct_fr(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}".replace(".", ",") + "\u00a0%"


def _points(effect: float, lang: str) -> str:
    # Probability points (percentage points of the default probability), not score points.
    text = f"{100 * effect:+.1f}"
    return (text.replace(".", ",") + " pt de probabilité") if lang == "fr" else (text + " probability pts")


# Said when a justified protected attribute weighed more than a factor the text names: the
# "main factors" are then the main ones that may be given as reasons, not the main ones.
PROTECTED_LEFT_OUT = {
    "fr": " Un critère protégé, justifié dans la fiche du modèle et jamais cité comme motif, a pesé davantage "
          "que certains de ces facteurs.",
    "en": " A protected attribute, justified in the model card and never given as a reason, weighed more than "
          "some of these factors.",
}


def _explanation_text(e: dict[str, Any], threshold: float, lang: str, left_out: float = 0.0) -> str:
    """The plain-language explanation: the probability against the threshold in words, then the
    three biggest reasons. ``left_out``: the absolute log-odds contribution of the heaviest
    justified protected attribute, which is never a reason; when it exceeds a named reason's,
    one more sentence says so (without naming it)."""
    p, decision = e["probability"], e["decision"]
    # Reasons, not raw contributions: no protected attribute, external scores as one.
    top = e["reasons"][:3]
    tail = PROTECTED_LEFT_OUT[lang] if top and left_out > min(abs(c["shap"]) for c in top) else ""
    parts = []
    for c in top:
        # A family (several features) has no single value to quote.
        value = "" if len(c["features"]) > 1 else " = " + format_value(c["value"], lang, c["unit"])
        # A yes/no has no percentile: the share of the population with the same answer.
        pct, same = c["percentile"], c.get("same_share")
        # A rank that rounds to 0 or 100 is said as below the 1st or above the 99th (« 0e centile »).
        rank = f"{pct:.0f}" if pct is not None else ""
        if lang == "fr":
            where = {"": "", "0": ", sous le 1er centile de la population",
                     "100": ", au-dessus du 99e centile de la population"}.get(
                rank, f", {rank}{'er' if rank == '1' else 'e'} centile de la population")
            if same is not None:
                where = f", même réponse que {_pct_fr(same, share_digits(same))} de la population"
            verb = "augmente" if c["shap"] > 0 else "réduit"
            parts.append(f"{c['label']}{value}{where} : {verb} le risque ({_points(c['effect'], lang)})")
        else:
            where = {"": "", "0": ", below the population's 1st percentile",
                     "100": ", above the population's 99th percentile"}.get(rank, f", population percentile {rank}")
            if same is not None:
                where = f", the same answer as {100 * same:.{share_digits(same)}f}% of the population"
            verb = "raises" if c["shap"] > 0 else "lowers"
            parts.append(f"{c['label']}{value}{where}: {verb} the risk ({_points(c['effect'], lang)})")
    # The model recommends, the advisor decides: never "application refused". Enough decimals
    # for the probability and the threshold to read differently, and the side in words.
    digits = distinct_digits(p, threshold)
    verdict = decision_label(decision, lang) if decision in DECISION_LABELS else str(decision)
    verdict = verdict[0].lower() + verdict[1:]
    if lang == "fr":
        side = THRESHOLD_SIDE[threshold_side(p, threshold)]["fr"].format(threshold=_pct_fr(threshold, digits))
        head = (
            f"Risque de défaut estimé à {_pct_fr(p, digits)}, {side} : "
            f"{verdict}. Risque moyen de la population : {_pct_fr(e['base_probability'])}."
        )
        return head + " Principaux facteurs : " + " ; ".join(parts) + "." + tail
    side = THRESHOLD_SIDE[threshold_side(p, threshold)]["en"].format(threshold=f"{100 * threshold:.{digits}f}%")
    head = (
        f"Estimated default risk {100 * p:.{digits}f}%, {side}: "
        f"{verdict}. Population average risk: {100 * e['base_probability']:.1f}%."
    )
    return head + " Main factors: " + "; ".join(parts) + "." + tail
