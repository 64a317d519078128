"""Advisor pages: a client's file (score, explanation, comparison, similar clients, what-if,
PDF report) and the new-applicant form."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from frontend import charts, ui
from frontend.api import ApiError, ErrorKind
from frontend.views import decisions as decisions_view

CLIENT_KEY = "advisor_client_id"
REPORT_KEY = "advisor_report"
FINAL_KEY = "advisor_final_decision"  # (client id, the API's decision record)
INPUTS_KEY = "advisor_input_spec"  # {"lang": ..., "fields": {name: field}} from /scoring/inputs
MAX_SIMILAR = 100
APPLICANT_FIELDS = 16
# Population rows behind the comparison scatter: enough to see both outcomes' clouds, small
# enough (~100 KB) to fetch on every rerun of the page.
SAMPLE_SIZE = 1000


def input_spec() -> dict[str, dict[str, Any]] | None:
    """The fields the simulation accepts (``GET /scoring/inputs``) by name, fetched once per
    session and language. Kept in ``st.session_state``: ``st.cache_data`` is shared by every
    session of the process, and this answer was fetched with one user's token."""
    stored = st.session_state.get(INPUTS_KEY)
    if isinstance(stored, dict) and stored.get("lang") == ui.lang():
        return stored["fields"]
    answer = ui.require_mapping(ui.fetch("/scoring/inputs", lang=ui.lang()))
    if answer is None:
        return None
    fields = {
        str(f["name"]): f for f in ui.pick(answer, "fields", default=[]) if isinstance(f, dict) and f.get("name")
    }
    st.session_state[INPUTS_KEY] = {"lang": ui.lang(), "fields": fields}
    return fields


def _decision_label(decision: str) -> str:
    return ui.t(f"decision.{decision}") if decision in ("approve", "refuse") else str(decision)


def _grade_text(score: dict[str, Any]) -> str:
    """The API's master-scale grade in words, e.g. "D · Risque modéré (4,0 %-8,0 %)"."""
    grade = str(score.get("risk_band") or "—")
    text = f"{grade} · {score.get('risk_band_label') or ''}".rstrip(" ·")
    bounds = score.get("risk_band_range")
    if isinstance(bounds, list) and len(bounds) == 2:
        text += f" ({ui.pct(float(bounds[0]))}-{ui.pct(float(bounds[1]))})"
    return text


def render_score(score: dict[str, Any], key: str = "client") -> None:
    probability = float(score["probability"])
    threshold = float(score["threshold"])
    borderline = bool(score.get("borderline", False))
    label = str(score.get("risk_band_label") or "")
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(
            charts.gauge(
                probability, threshold, ui.t("score.title"), label,
                level=charts.risk_level(str(score["decision"]), borderline),
                borderline_interval=score.get("borderline_interval"),
            ),
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
        if borderline:
            # A flag with one stated meaning (see the API's Score schema), not a percentage.
            st.warning(ui.t("score.borderline"), icon=":material/rate_review:")
        display = ui.pick(score, "display_score", "score")
        if display is not None:
            st.metric(ui.t("score.display"), ui.num(display), help=ui.t("score.display_help"))
        if score.get("risk_band") is not None:
            st.metric(ui.t("score.band"), _grade_text(score), help=ui.t("score.band_help"))
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
    base, reference = explanation.get("base_probability"), explanation.get("reference_probability")
    if base is not None and reference is not None:
        st.caption(ui.t("explanation.base", base=ui.pct(float(base)), reference=ui.pct(float(reference)),
                        probability=ui.pct(float(explanation.get("probability") or 0.0))))
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
        # The API's percentiles are on the 0-100 scale (ge=0, le=100 in its schema).
        st.markdown(ui.t("comparison.percentile", percentile=round(value)))

    _atypical(comparison, features)
    _scatter(comparison, features, similar)
    _radar(features, similar)


def _scatter(comparison: dict[str, Any], features: list[dict[str, Any]], similar: dict[str, Any] | None) -> None:
    """Two chosen features over the comparison's anonymous population sample, coloured by
    outcome, with the client highlighted and the similar clients as an optional overlay."""
    st.subheader(ui.t("comparison.scatter"))
    sample = ui.pick(comparison, "sample", default={})
    names = [str(n) for n in ui.pick(sample, "features", default=[])]
    rows = [r for r in ui.pick(sample, "rows", default=[]) if isinstance(r, list) and len(r) == len(names)]
    outcome = list(ui.pick(sample, "outcome", default=[]))
    if len(names) < 2 or not rows or len(outcome) != len(rows):
        st.caption(ui.t("comparison.no_points"))
        return
    labels = ui.pick(sample, "labels", default={})
    label_of = {n: str(labels.get(n, n)) if isinstance(labels, dict) else n for n in names}
    cx, cy = st.columns(2)
    x_name = cx.selectbox(ui.t("comparison.x"), names, index=0, format_func=label_of.__getitem__, key="cmp_x")
    y_name = cy.selectbox(ui.t("comparison.y"), names, index=1, format_func=label_of.__getitem__, key="cmp_y")
    i, j = names.index(x_name), names.index(y_name)
    default = [r for r, o in zip(rows, outcome, strict=True) if o == 1]
    repaid = [r for r, o in zip(rows, outcome, strict=True) if o != 1]
    # The client's values in the same (model feature) space: the similar answer carries them
    # for exactly these features; the comparison's top features are the fallback.
    client_values = {str(f.get("feature")): ui.pick(f, "value") for f in features}
    if similar and isinstance(similar.get("client"), dict):
        client_values.update(similar["client"])
    overlay = None
    neighbours = _similar_points(similar) if similar else []
    if neighbours and st.checkbox(ui.t("comparison.show_similar"), key="cmp_show_similar"):
        overlay = ([p.get(x_name) for p in neighbours], [p.get(y_name) for p in neighbours], ui.t("comparison.similar"))
    st.plotly_chart(
        charts.scatter(
            [r[i] for r in default], [r[j] for r in default], [r[i] for r in repaid], [r[j] for r in repaid],
            (client_values.get(x_name), client_values.get(y_name)),
            (label_of[x_name], label_of[y_name]),
            (ui.t("comparison.outcome_repaid"), ui.t("comparison.outcome_default"), ui.t("comparison.client")),
            overlay,
        ),
        key="scatter",
    )
    legend = ui.t("comparison.scatter_legend", n=ui.num(len(rows)))
    st.caption(legend + (" " + ui.t("comparison.similar_legend") if overlay else ""))


def _defaulted(profile: dict[str, Any]) -> bool:
    outcome = ui.pick(profile, "defaulted", "outcome", "target", "TARGET", default=0)
    return outcome in (1, True, "default", "defaulted", "1")


def _similar_points(similar: dict[str, Any]) -> list[dict[str, Any]]:
    """The similar clients as flat ``{feature: value, "defaulted": bool}`` dicts."""
    rows = ui.pick(similar, "clients", "neighbours", "neighbors", default=[])
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
        percentile: Any = "—" if raw is None else round(float(raw))
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
    similar_p: list[float | None] = []
    neighbours = _similar_points(similar) if similar else []
    for f in features:
        raw = ui.pick(f, "percentile", "population_percentile")
        if raw is None:
            continue
        edges, counts = _histogram(f)
        values = [p.get(f.get("feature")) for p in neighbours]
        values = sorted(float(v) for v in values if isinstance(v, int | float))
        median = values[len(values) // 2] if values else None
        axes.append(str(ui.pick(f, "label", "feature")))
        client_p.append(float(raw))
        similar_p.append(_percentile_in(edges, counts, median))
    if len(axes) < 3:
        return
    st.subheader(ui.t("comparison.radar"))
    series = [(ui.t("comparison.population"), [50.0] * len(axes), charts.NEUTRAL)]
    # A missing percentile is left out, never drawn as the median.
    if similar_p and all(v is not None for v in similar_p):
        series.append((ui.t("comparison.similar"), [float(v) for v in similar_p if v is not None], charts.WATCH))
    series.append((ui.t("comparison.client"), client_p, charts.CLIENT))
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


def _number_step(low: float, high: float) -> float:
    """A +/- step of about a thousandth of the range: 0.001 on a 0-1 score, 10,000 on a credit."""
    return float(10 ** math.floor(math.log10((high - low) / 1000)))


def _field_input(column: Any, field: dict[str, Any], value: Any, key: str) -> Any:
    """One widget as the API's input spec says: a selectbox of the levels for a category, a
    number input bounded by min/max otherwise. An empty choice means "unknown"."""
    label = str(field.get("label") or field["name"])
    nullable = bool(field.get("nullable", True))
    if field.get("type") == "category":
        levels = [str(level) for level in field.get("levels") or []]
        options: list[str | None] = list(levels)
        if nullable or value not in levels:
            options.insert(0, None)
        return column.selectbox(
            label, options, index=options.index(value) if value in options else 0, key=key,
            format_func=lambda v: ui.t("form.unknown") if v is None else v,
        )
    integer = field.get("type") == "integer"
    cast = int if integer else float
    current = cast(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    low, high = field.get("min"), field.get("max")
    options_: dict[str, Any] = {}
    if low is not None and high is not None:
        options_["help"] = ui.t("form.range", low=ui.num(low, 0 if integer else 2), high=ui.num(high, 0 if integer else 2))
        # A special value outside the range (e.g. the "not employed" sentinel) is accepted by
        # the API: the widget then drops its bounds rather than refuse to show the client.
        if current is None or low <= current <= high:
            options_.update(min_value=cast(low), max_value=cast(high))
        if not integer and high > low:
            options_["step"] = _number_step(low, high)
    if integer:
        return column.number_input(label, value=current, step=1, key=key, **options_)
    number_format = "%.4f" if high is not None and abs(high) <= 10 else "%.2f"
    return column.number_input(label, value=current, format=number_format, key=key, **options_)


def _feature_inputs(fields: list[tuple[dict[str, Any], Any]], prefix: str) -> dict[str, Any]:
    """One widget per (input spec field, current value), in two columns."""
    values: dict[str, Any] = {}
    columns = st.columns(2)
    for index, (field, value) in enumerate(fields):
        name = str(field["name"])
        values[name] = _field_input(columns[index % 2], field, value, f"{prefix}_{name}")
    return values


def render_whatif(client_id: str, explanation: dict[str, Any], score: dict[str, Any]) -> None:
    st.caption(ui.t("whatif.intro"))
    spec = input_spec()
    if spec is None:
        return
    # The client's main factors that are application fields; computed features (ratios,
    # ages, score aggregates) are not in the spec: they change through their inputs.
    fields = [
        (spec[str(r["feature"])], ui.pick(r, "client_value", "value"))
        for r in explanation.get("contributions") or []
        if isinstance(r, dict) and str(r.get("feature")) in spec
    ]
    if not fields:
        st.info(ui.t("whatif.none"))
        return
    with st.form("whatif"):
        values = _feature_inputs(fields, "whatif")
        submitted = st.form_submit_button(ui.t("whatif.submit"), type="primary")
    if not submitted:
        return
    original = {str(field["name"]): value for field, value in fields}
    overrides = {name: value for name, value in values.items() if value != original.get(name)}
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
        if error.kind is ErrorKind.not_found:
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
        comparison = ui.fetch(f"/clients/{client_id}/comparison", lang=ui.lang(), sample=SAMPLE_SIZE)
        if isinstance(comparison, dict):
            render_comparison(comparison, similar if isinstance(similar, dict) else None)
    with tabs[3]:
        if isinstance(explanation, dict):
            render_whatif(client_id, explanation, score)
    with tabs[4]:
        render_report(client_id)
    with tabs[5]:
        decisions_view.render_decision_section(client_id, score)


def new_applicant_page() -> None:
    st.title(ui.t("applicant.title"))
    st.caption(ui.t("applicant.intro"))
    spec = input_spec()
    importance = ui.require_mapping(ui.fetch("/model/importance", lang=ui.lang())) if spec is not None else None
    if spec is None or importance is None:
        return
    # The most important application fields only: a form of every column would hide what
    # matters; the fields left empty are "unknown", which the model handles.
    fields = [
        (spec[str(row["feature"])], None)
        for row in ui.pick(importance, "features", default=[])
        if isinstance(row, dict) and str(row.get("feature")) in spec
    ][:APPLICANT_FIELDS]
    with st.form("applicant"):
        values = _feature_inputs(fields, "applicant")
        submitted = st.form_submit_button(ui.t("applicant.submit"), type="primary")
    if not submitted:
        return
    features = {name: value for name, value in values.items() if value not in ("", None)}
    result = ui.call(ui.client().post, "/scoring/simulate", {"features": features, "lang": ui.lang()})
    if isinstance(result, dict):
        _simulation_result(result, None)
