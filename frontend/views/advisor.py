"""Advisor pages: a client's file (score, explanation, comparison, similar clients, what-if,
PDF report) and the new-applicant form."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend import charts, ui
from frontend.api import ApiError

CLIENT_KEY = "advisor_client_id"
REPORT_KEY = "advisor_report"
FINAL_KEY = "advisor_final_decision"  # (client id, the API's decision record)
MAX_SIMILAR = 100
APPLICANT_FIELDS = 16
# Model features computed from the application fields (ratios, ages, external-score
# aggregates): the what-if form cannot set them directly, only the fields they come from.
# The API does not publish its simulation input spec yet; this mirrors ml/features.py.
DERIVED_FEATURES = frozenset(
    {
        "AGE_YEARS", "YEARS_EMPLOYED", "DAYS_EMPLOYED_ANOMALY", "CREDIT_INCOME_RATIO",
        "ANNUITY_INCOME_RATIO", "ANNUITY_CREDIT_RATIO", "CREDIT_GOODS_RATIO", "EMPLOYED_AGE_RATIO",
        "INCOME_PER_PERSON", "EXT_SOURCE_MEAN", "EXT_SOURCE_MIN", "EXT_SOURCE_MAX", "EXT_SOURCE_STD",
        "EXT_SOURCE_MISSING",
    }
)


def _decision_label(decision: str) -> str:
    return ui.t(f"decision.{decision}") if decision in ("approve", "refuse") else str(decision)


def _risk_text(probability: float, threshold: float) -> str:
    return ui.t(f"risk.{charts.risk_level(probability, threshold)}")


def render_score(score: dict[str, Any], key: str = "client") -> None:
    probability = float(score["probability"])
    threshold = float(score["threshold"])
    label = _risk_text(probability, threshold)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(
            charts.gauge(probability, threshold, ui.t("score.title"), label),
            key=f"{key}_gauge",
            config={"displayModeBar": False},
        )
        # The same facts in words: a screen reader or a grey-scale print loses nothing.
        st.caption(
            ui.t("score.gauge_text", probability=ui.pct(probability), threshold=ui.pct(threshold), label=label)
        )
    with right:
        decision = str(score["decision"])
        box = st.success if decision == "approve" else st.error
        box(f"**{ui.t('score.decision')} : {_decision_label(decision)}**", icon=":material/gavel:")
        confidence = ui.pick(score, "confidence")
        if confidence is not None:
            st.metric(ui.t("score.confidence"), ui.pct(float(confidence), 0))
        display = ui.pick(score, "display_score", "score")
        if display is not None:
            st.metric(ui.t("score.display"), ui.num(display))
        band = ui.pick(score, "risk_band_label", "risk_band", "band")
        if band is not None:
            st.metric(ui.t("score.band"), str(band))
        version = ui.pick(score, "model_version")
        if version:
            st.caption(ui.t("score.model_version", version=version))


def render_explanation(explanation: dict[str, Any], key: str = "client") -> None:
    st.subheader(ui.t("explanation.title"))
    rows = explanation.get("contributions") or []
    labels = [str(ui.pick(r, "label", "feature", default="?")) for r in rows]
    effects = [float(ui.pick(r, "effect", "probability_effect", "effect_points", default=0.0)) for r in rows]
    values = [ui.show_value(ui.pick(r, "client_value", "value")) for r in rows]
    if rows:
        st.plotly_chart(
            charts.contributions(
                labels, effects, values, ui.t("explanation.axis"), ui.t("explanation.raises"), ui.t("explanation.lowers")
            ),
            key=f"{key}_contributions",
            config={"displayModeBar": False},
        )
    text = ui.pick(explanation, "text", "summary", "plain_text")
    if text:
        st.markdown(f"**{ui.t('explanation.text')}**")
        st.info(text if isinstance(text, str) else "\n".join(map(str, text)))


def _profile(client: dict[str, Any]) -> None:
    profile = ui.pick(client, "profile", default={})
    labels = ui.pick(client, "labels", default={})
    items: list[tuple[str, Any]] = []
    if isinstance(profile, list):
        items = [(str(ui.pick(p, "label", "name", default="?")), ui.pick(p, "value")) for p in profile]
    elif isinstance(profile, dict):
        for key, value in profile.items():
            if isinstance(value, dict):
                items.append((str(ui.pick(value, "label", default=key)), ui.pick(value, "value")))
            else:
                items.append((str(labels.get(key, key)) if isinstance(labels, dict) else key, value))
    with st.expander(ui.t("client.profile"), expanded=False):
        columns = st.columns(3)
        for index, (label, value) in enumerate(items):
            columns[index % 3].markdown(f"**{label}**  \n{ui.show_value(value)}")


def _comparison_features(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    features = ui.pick(comparison, "features", "items", default=[])
    return [f for f in features if isinstance(f, dict)]


def _histogram(feature: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Bin edges and the population's counts (defaulters + repaid) of a numeric feature."""
    edges = [float(x) for x in ui.pick(feature, "hist_edges", default=[])]
    defaulters = [float(x) for x in ui.pick(feature, "hist_defaulters", default=[])]
    repaid = [float(x) for x in ui.pick(feature, "hist_repaid", default=[])]
    if len(defaulters) != len(repaid):
        return [], []
    return edges, [d + r for d, r in zip(defaulters, repaid, strict=True)]


def _percentile_in(edges: list[float], counts: list[float], value: float | None) -> float | None:
    """Where ``value`` falls in a histogram (linear inside its bin), 0-100."""
    if value is None or len(edges) != len(counts) + 1 or not counts:
        return None
    total = sum(counts) or 1.0
    below = 0.0
    for i, count in enumerate(counts):
        lo, hi = edges[i], edges[i + 1]
        if value >= hi:
            below += count
        elif value > lo:
            below += count * (value - lo) / ((hi - lo) or 1.0)
    return max(0.0, min(100.0, 100.0 * below / total))


def render_comparison(comparison: dict[str, Any], similar: dict[str, Any] | None) -> None:
    features = _comparison_features(comparison)
    if not features:
        st.info(ui.t("error.not_found"))
        return
    by_label = {str(ui.pick(f, "label", "feature")): f for f in features}
    chosen = st.selectbox(ui.t("comparison.feature"), list(by_label), key="cmp_feature")
    feature = by_label[chosen]
    edges, counts = _histogram(feature)
    client_value = ui.pick(feature, "client_value", "value")
    medians = [
        (ui.t("comparison.median_default"), ui.pick(feature, "median_defaulters")),
        (ui.t("comparison.median_repaid"), ui.pick(feature, "median_repaid")),
    ]
    if edges and counts:
        st.plotly_chart(
            charts.density(edges, counts, client_value, ui.t("comparison.density"), ui.t("comparison.client"), medians),
            key="density",
            config={"displayModeBar": False},
        )
    percentile = ui.pick(feature, "percentile", "population_percentile")
    if percentile is not None:
        value = float(percentile)
        st.markdown(ui.t("comparison.percentile", percentile=round(value * 100 if value <= 1 else value)))

    _atypical(comparison, features)
    reference = _reference_points(comparison, similar)
    st.subheader(ui.t("comparison.scatter"))
    names = [n for n in by_label if any(isinstance(p.get(by_label[n].get("feature")), int | float) for p in reference)]
    if len(names) >= 2 and reference:
        cx, cy = st.columns(2)
        x_label = cx.selectbox(ui.t("comparison.x"), names, index=0, key="cmp_x")
        y_label = cy.selectbox(ui.t("comparison.y"), names, index=1, key="cmp_y")
        fx, fy = by_label[x_label], by_label[y_label]
        default = [p for p in reference if _defaulted(p)]
        repaid = [p for p in reference if not _defaulted(p)]
        key_x, key_y = fx.get("feature"), fy.get("feature")
        st.plotly_chart(
            charts.scatter(
                [p.get(key_x) for p in default], [p.get(key_y) for p in default],
                [p.get(key_x) for p in repaid], [p.get(key_y) for p in repaid],
                (ui.pick(fx, "client_value", "value"), ui.pick(fy, "client_value", "value")),
                (x_label, y_label),
                (ui.t("comparison.outcome_repaid"), ui.t("comparison.outcome_default"), ui.t("comparison.client")),
            ),
            key="scatter",
        )
    else:
        st.caption(ui.t("comparison.no_points"))
    _radar(features, similar)


def _defaulted(profile: dict[str, Any]) -> bool:
    outcome = ui.pick(profile, "defaulted", "outcome", "target", "TARGET", default=0)
    return outcome in (1, True, "default", "defaulted", "1")


def _reference_points(comparison: dict[str, Any], similar: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Anonymous reference profiles as flat ``{feature: value, "defaulted": bool}`` dicts:
    the comparison's population sample when the API sends one, else the similar clients."""
    sample = ui.pick(comparison, "sample", "points", "reference_sample", default=None)
    rows = sample if isinstance(sample, list) else (ui.pick(similar, "clients", "neighbours", "neighbors", default=[]) if similar else [])
    flat = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        features = ui.pick(row, "features", default=None)
        item = dict(features) if isinstance(features, dict) else dict(row)
        item["defaulted"] = _defaulted(row)
        flat.append(item)
    return flat


def _atypical(comparison: dict[str, Any], features: list[dict[str, Any]]) -> None:
    st.subheader(ui.t("comparison.atypical"))
    score = ui.pick(comparison, "atypicality", "atypicality_score")
    if score is not None:
        st.metric(ui.t("comparison.atypicality"), ui.num(float(score), 2))
    flagged = [f for f in features if ui.pick(f, "atypical", "is_atypical", default=False)]
    if not flagged:
        st.caption(ui.t("comparison.atypical_none"))
    for f in flagged:
        raw = ui.pick(f, "percentile")
        # Categorical features have no percentile (a rare level is what makes them atypical).
        percentile: Any = "—" if raw is None else round(float(raw) * 100 if float(raw) <= 1 else float(raw))
        st.warning(
            ui.t(
                "comparison.atypical_item",
                label=ui.pick(f, "label", "feature"),
                value=ui.show_value(ui.pick(f, "client_value", "value")),
                percentile=percentile,
            ),
            icon=":material/warning:",
        )


def _radar(features: list[dict[str, Any]], similar: dict[str, Any] | None) -> None:
    axes: list[str] = []
    client_p: list[float] = []
    similar_p: list[float] = []
    neighbours = _reference_points({}, similar) if similar else []
    for f in features:
        raw = ui.pick(f, "percentile", "population_percentile")
        if raw is None:
            continue
        edges, counts = _histogram(f)
        values = [p.get(f.get("feature")) for p in neighbours]
        values = sorted(float(v) for v in values if isinstance(v, int | float))
        median = values[len(values) // 2] if values else None
        axes.append(str(ui.pick(f, "label", "feature")))
        client_p.append(float(raw) * 100 if float(raw) <= 1 else float(raw))
        similar_p.append(_percentile_in(edges, counts, median) or 50.0)
    if len(axes) < 3:
        return
    st.subheader(ui.t("comparison.radar"))
    series = [
        (ui.t("comparison.population"), [50.0] * len(axes), charts.NEUTRAL),
        (ui.t("comparison.similar"), similar_p, charts.WATCH),
        (ui.t("comparison.client"), client_p, charts.CLIENT),
    ]
    st.plotly_chart(charts.radar(axes, series), key="radar")


def render_similar(similar: dict[str, Any], k: int) -> None:
    rows = ui.pick(similar, "clients", "neighbours", "neighbors", default=[])
    rate = ui.pick(similar, "default_rate")
    population = ui.pick(similar, "population_default_rate")
    st.markdown(ui.t("similar.rate", k=len(rows) or k, rate=ui.pct(rate), population=ui.pct(population)))
    st.caption(ui.t("similar.note"))
    table = []
    for row in rows:
        features = ui.pick(row, "features", default={})
        item = {ui.t("similar.outcome"): ui.t("comparison.outcome_default") if _defaulted(row) else ui.t("comparison.outcome_repaid")}
        distance = ui.pick(row, "distance")
        if distance is not None:
            item[ui.t("similar.distance")] = round(float(distance), 3)
        if isinstance(features, dict):
            item.update(features)
        table.append(item)
    if table:
        st.dataframe(pd.DataFrame(table), hide_index=True)


def _feature_inputs(
    fields: list[tuple[str, str, Any]], prefix: str, categorical: Any = lambda _name: False
) -> dict[str, Any]:
    """One input per (feature, label, value): numbers as number inputs, the rest as text."""
    values: dict[str, Any] = {}
    columns = st.columns(2)
    for index, (name, label, value) in enumerate(fields):
        column = columns[index % 2]
        if isinstance(value, bool):
            values[name] = column.checkbox(label, value=value, key=f"{prefix}_{name}")
        elif isinstance(value, int):
            values[name] = int(column.number_input(label, value=value, step=1, key=f"{prefix}_{name}"))
        elif isinstance(value, float):
            values[name] = float(column.number_input(label, value=value, format="%.4g", key=f"{prefix}_{name}"))
        elif value is None and not categorical(name):
            values[name] = column.number_input(label, value=None, format="%.6g", key=f"{prefix}_{name}")
        else:
            values[name] = column.text_input(label, value="" if value is None else str(value), key=f"{prefix}_{name}")
    return values


def render_whatif(client_id: str, explanation: dict[str, Any], score: dict[str, Any]) -> None:
    st.caption(ui.t("whatif.intro"))
    fields = [
        (str(ui.pick(r, "feature")), str(ui.pick(r, "label", "feature")), ui.pick(r, "client_value", "value"))
        for r in explanation.get("contributions") or []
        if ui.pick(r, "feature") and ui.pick(r, "feature") not in DERIVED_FEATURES
    ]
    with st.form("whatif"):
        values = _feature_inputs(fields, "whatif")
        submitted = st.form_submit_button(ui.t("whatif.submit"), type="primary")
    if not submitted:
        return
    original = {name: value for name, _, value in fields}
    overrides = {
        name: value for name, value in values.items()
        if not (value == original.get(name) or (value == "" and original.get(name) is None))
    }
    if not overrides:
        st.info(ui.t("whatif.unchanged"))
        return
    result = ui.call(ui.client().post, "/scoring/simulate", {"client_id": client_id, "overrides": overrides, "lang": ui.lang()})
    if isinstance(result, dict):
        _simulation_result(result, float(score["probability"]))


def _simulation_result(result: dict[str, Any], before: float | None) -> None:
    scored = ui.pick(result, "score", default=result)
    probability = float(scored["probability"])
    delta = (probability - before) * 100 if before is not None else 0.0
    decision = _decision_label(str(scored["decision"]))
    if before is not None:
        st.markdown(ui.t("whatif.result", probability=ui.pct(probability), delta=f"{delta:+.1f}", decision=decision))
    render_score(scored, "simulation")
    explanation = ui.pick(result, "explanation")
    if isinstance(explanation, dict):
        render_explanation(explanation, "simulation")


def render_report(client_id: str) -> None:
    st.caption(ui.t("report.intro"))
    if st.button(ui.t("report.generate"), key="report_generate", icon=":material/picture_as_pdf:"):
        report = ui.call(ui.client().download, f"/clients/{client_id}/report.pdf", {"lang": ui.lang()})
        if report is not None:
            st.session_state[REPORT_KEY] = (client_id, report.content, report.filename or f"octroi-{client_id}.pdf")
    stored = st.session_state.get(REPORT_KEY)
    if stored and stored[0] == client_id:
        st.download_button(ui.t("report.download"), data=stored[1], file_name=stored[2], mime="application/pdf", key="report_download")


def render_final_decision(client_id: str, score: dict[str, Any]) -> None:
    """The advisor's final decision (GDPR Art. 22): the model only recommends. The API decides
    whether a reason is needed and refuses a silent override with a 422 naming ``reason``."""
    recommendation = str(score.get("decision", "approve"))
    st.subheader(ui.t("final.title"))
    st.markdown(ui.t("final.intro", recommendation=_decision_label(recommendation)))
    options = ("approve", "refuse")
    with st.form("final_decision"):
        decision = st.radio(
            ui.t("final.decision"), options, index=options.index(recommendation) if recommendation in options else 0,
            format_func=_decision_label, horizontal=True, key="final_decision_choice",
        )
        reason = st.text_area(ui.t("final.reason"), help=ui.t("final.reason_help"), max_chars=1000, key="final_reason")
        submitted = st.form_submit_button(ui.t("final.submit"), type="primary", icon=":material/how_to_reg:")
    if submitted:
        payload = {"decision": decision, "reason": reason.strip() or None}
        try:
            record = ui.client().post(f"/clients/{client_id}/decision", payload)
        except ApiError as error:
            if error.kind.value == "invalid" and error.detail.startswith("reason") and not payload["reason"]:
                st.error(ui.t("final.reason_required", decision=_decision_label(decision),
                              recommendation=_decision_label(recommendation)), icon=":material/edit_note:")
            else:
                ui.show_error(error)
            return
        if isinstance(record, dict):
            st.session_state[FINAL_KEY] = (client_id, record)
    stored = st.session_state.get(FINAL_KEY)
    if stored and stored[0] == client_id:
        record = stored[1]
        st.success(
            ui.t(
                "final.recorded",
                ts=str(ui.pick(record, "decided_at", default="—"))[:16].replace("T", " "),
                decision=_decision_label(str(ui.pick(record, "decision", default="?"))),
                recommendation=_decision_label(str(ui.pick(record, "recommendation", default="?"))),
            ),
            icon=":material/task_alt:",
        )
        if ui.pick(record, "is_override"):
            st.caption(ui.t("final.override_note"))


def client_page() -> None:
    st.title(ui.t("client.title"))
    with st.form("lookup"):
        raw = st.text_input(ui.t("client.lookup"), help=ui.t("client.lookup_help"), key="lookup_id")
        if st.form_submit_button(ui.t("client.open"), type="primary"):
            candidate = raw.strip()
            if not candidate.isdigit() or int(candidate) <= 0:
                st.error(ui.t("client.bad_id"))
            else:
                st.session_state[CLIENT_KEY] = str(int(candidate))
                st.session_state.pop(REPORT_KEY, None)
                st.session_state.pop(FINAL_KEY, None)
    client_id = st.session_state.get(CLIENT_KEY)
    if not client_id:
        st.info(ui.t("client.prompt"))
        return
    api = ui.client()
    try:
        with st.spinner(ui.t("common.loading")):
            client = api.get(f"/clients/{client_id}", {"lang": ui.lang()})
            score = api.get(f"/clients/{client_id}/score")
    except ApiError as error:
        if error.kind.value == "not_found":
            st.warning(ui.t("client.unknown", client_id=client_id))
            return
        ui.show_error(error)
        return
    _profile(client)
    tabs = st.tabs([ui.t("client.tab.decision"), ui.t("client.tab.comparison"), ui.t("client.tab.similar"),
                    ui.t("client.tab.whatif"), ui.t("client.tab.report"), ui.t("final.tab")])
    with tabs[0]:
        render_score(score)
        top = st.slider(ui.t("explanation.top"), 3, 20, 10, key="explain_top")
        explanation = ui.fetch(f"/clients/{client_id}/explanation", top=top, lang=ui.lang())
        if isinstance(explanation, dict):
            render_explanation(explanation)
    with tabs[2]:
        k = st.slider(ui.t("similar.k"), 3, MAX_SIMILAR, 10, key="similar_k")
        similar = ui.fetch(f"/clients/{client_id}/similar", k=k)
        if isinstance(similar, dict):
            render_similar(similar, k)
    with tabs[1]:
        comparison = ui.fetch(f"/clients/{client_id}/comparison", lang=ui.lang())
        if isinstance(comparison, dict):
            render_comparison(comparison, similar if isinstance(similar, dict) else None)
    with tabs[3]:
        if isinstance(explanation, dict):
            render_whatif(client_id, explanation, score)
    with tabs[4]:
        render_report(client_id)
    with tabs[5]:
        render_final_decision(client_id, score)


def new_applicant_page() -> None:
    st.title(ui.t("applicant.title"))
    st.caption(ui.t("applicant.intro"))
    importance = ui.require_mapping(ui.fetch("/model/importance", lang=ui.lang()))
    if importance is None:
        return
    # The most important fields only: a form of every application column would hide what
    # matters; the fields left empty are "unknown", which the model handles.
    fields = [
        (str(row["feature"]), str(ui.pick(row, "label", default=row["feature"])), None)
        for row in ui.pick(importance, "features", default=[])
        if isinstance(row, dict) and row.get("feature") not in DERIVED_FEATURES
    ][:APPLICANT_FIELDS]
    card = ui.require_mapping(ui.fetch("/model", lang=ui.lang())) or {}
    kinds = {str(f.get("name")): bool(f.get("categorical")) for f in ui.pick(card, "features", default=[]) if isinstance(f, dict)}
    with st.form("applicant"):
        values = _feature_inputs(fields, "applicant", lambda name: kinds.get(name, False))
        submitted = st.form_submit_button(ui.t("applicant.submit"), type="primary")
    if not submitted:
        return
    features = {name: value for name, value in values.items() if value not in ("", None)}
    result = ui.call(ui.client().post, "/scoring/simulate", {"features": features, "lang": ui.lang()})
    if isinstance(result, dict):
        _simulation_result(result, None)
