"""The unsecured reference for ``bench_http_path.py``: the API issue 17 compares Octroi with,
written the way the seeds do it, served by the same uvicorn and workers as the API.

FastAPI; the clients' feature rows preprocessed and held in memory (``OCTROI_BENCH_ROWS``, a
``.npz`` of ids and rows built by the bundle's batch path, which its one-row path matches, so
both APIs answer on the same numbers); the same LightGBM model (``OCTROI_BENCH_MODEL``, the
bundle's ``model.txt``); one
``shap.TreeExplainer`` built at start; per request ``predict`` + ``shap_values`` on the row and
the top contributions. No authentication, no permission, no rate limit, no pseudonymization, no
database, no audit event: what a bank might deploy instead, and what the security costs above it.
"""

from __future__ import annotations

import os

import lightgbm as lgb
import numpy as np
import shap
from fastapi import FastAPI, HTTPException

_DATA = np.load(os.environ["OCTROI_BENCH_ROWS"])
_ROWS = {int(raw): row for raw, row in zip(_DATA["ids"], _DATA["rows"], strict=True)}
_NAMES = [str(name) for name in _DATA["names"]]
_THRESHOLD = float(_DATA["threshold"])
_BOOSTER = lgb.Booster(model_file=os.environ["OCTROI_BENCH_MODEL"])
_EXPLAINER = shap.TreeExplainer(_BOOSTER)

app = FastAPI()


@app.get("/api/v1/clients/{client_id}/explanation")
def explanation(client_id: int, top: int = 10, lang: str = "fr") -> dict[str, object]:
    row = _ROWS.get(client_id)
    if row is None:
        raise HTTPException(status_code=404, detail="unknown client")
    x = row.reshape(1, -1)
    probability = float(_BOOSTER.predict(x)[0])
    contributions = _EXPLAINER.shap_values(x)[0]  # log-odds, as LightGBM's pred_contrib
    order = np.argsort(-np.abs(contributions))[:top]
    return {
        "client_id": client_id,
        "probability": probability,
        "decision": "refuse" if probability >= _THRESHOLD else "approve",
        "base_value": float(np.ravel(_EXPLAINER.expected_value)[-1]),
        "contributions": [{"feature": _NAMES[j], "value": float(x[0, j]), "shap": float(contributions[j])}
                          for j in order],
        "lang": lang,
    }
