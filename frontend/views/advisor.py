"""Advisor pages: a client's file (score, explanation, comparison, similar clients, what-if,
PDF report, final decision) and the new-applicant form.

Every API answer is parsed with the contract's models (``frontend.contract``, generated from
``docs/openapi.json``): a renamed field fails loudly in the tests, never shows "—" silently.

One look at a file reads it once. The client's file is read (and audited: a score computed, an
explanation read, each spending the advisor's scoring budget) when it is opened, on a language
switch and when the advisor opens it again; the parts an advisor works in (the explanation's
slider, the comparison and the similar clients, the what-if form, the report, the final
decision) are Streamlit fragments: using one runs that part alone, so choosing a feature,
simulating, generating the report or recording a decision no longer reads the score and the
rest of the file again. Downloading a file runs nothing.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from frontend import charts, contract, i18n, ui
from frontend.api import ApiError, ErrorKind
from frontend.views import decisions as decisions_view

CLIENT_KEY = "advisor_client_id"
BAD_ID_KEY = "advisor_bad_id"
LOOKUP_KEY = "lookup_id"
REPORT_KEY = "advisor_report"
FINAL_KEY = "advisor_final_decision"  # (client id, the API's decision record)
WHATIF_PREFIX = "whatif"  # the what-if form's widgets: whatif_<feature>
INPUTS_KEY = "advisor_input_spec"  # {"lang": ..., "spec": InputSpec} from /scoring/inputs
MAX_SIMILAR = 100
# Population rows behind the comparison scatter: enough to see both outcomes' clouds, small
# enough (~100 KB) to fetch on every rerun of the page.
SAMPLE_SIZE = 1000
DAYS_PER_YEAR = 365.25
# Day counts before the application an advisor thinks of in years: asked and shown in years,
# sent in (negative) days as the API's input spec says.
YEARS_FIELDS = {"DAYS_BIRTH": "form.age_years", "DAYS_EMPLOYED": "form.employed_years"}
# The client profile (GET /clients/{id}) names its fields for people, the simulation input
# spec by application column: the what-if pre-fills each form field from this profile entry.
PROFILE_OF_INPUT = {
    "AMT_INCOME_TOTAL": "income", "AMT_CREDIT": "credit", "AMT_ANNUITY": "annuity", "AMT_GOODS_PRICE": "goods_price",
    "DAYS_BIRTH": "age_years", "DAYS_EMPLOYED": "employment_years", "NAME_INCOME_TYPE": "income_type",
    "NAME_FAMILY_STATUS": "family_status", "CNT_CHILDREN": "children", "CNT_FAM_MEMBERS": "family_members",
    "NAME_CONTRACT_TYPE": "contract_type",
    "NAME_HOUSING_TYPE": "housing", "NAME_EDUCATION_TYPE": "education",
    "EXT_SOURCE_1": "external_score_1", "EXT_SOURCE_2": "external_score_2", "EXT_SOURCE_3": "external_score_3",
}


def input_spec() -> contract.InputSpec | None:
    """The fields the simulation accepts (``GET /scoring/inputs``), fetched once per session
    and language. Kept in ``st.session_state``: ``st.cache_data`` is shared by every session
    of the process, and this answer was fetched with one user's token."""
    stored = st.session_state.get(INPUTS_KEY)
    if isinstance(stored, dict) and stored.get("lang") == ui.lang():
        return stored["spec"]
    spec = ui.fetch_as(contract.InputSpec, "/scoring/inputs", lang=ui.lang())
    if spec is not None:
        st.session_state[INPUTS_KEY] = {"lang": ui.lang(), "spec": spec}
    return spec


def form_fields(spec: contract.InputSpec) -> list[contract.InputField]:
    """What an advisor collects, in the API's form order."""
    asked = [f for f in spec.fields if f.form_order is not None]
    return sorted(asked, key=lambda f: f.form_order or 0)


def gauge_text(score: contract.Score) -> str:
    """The gauge in words: the probability, which side of the threshold in words, both with
    enough decimals to differ (8,33 % above 8,33 %, never 8,3 % against 8,3 %), the grade."""
    digits = i18n.distinct_digits(score.probability, score.threshold)
    side = ("score.side_at" if score.probability == score.threshold
            else "score.side_above" if score.probability > score.threshold else "score.side_below")
    return ui.t("score.gauge_text", probability=ui.pct(score.probability, digits),
                side=ui.t(side, threshold=ui.pct(score.threshold, digits)), label=score.risk_band_label)


def _grade_detail(score: contract.Score) -> str:
    """The API's master-scale grade in words, e.g. "Risque modéré : probabilité de défaut de
    4,0 % à 8,0 %" (under the tile, which shows the letter only and so reads whole)."""
    low, high = score.risk_band_range
    return ui.t("score.band_detail", label=score.risk_band_label, low=ui.pct(low), high=ui.pct(high))


def render_score(score: contract.Score, key: str = "client") -> None:
    label = score.risk_band_label
    left, right = st.columns([3, 2])
    with left:
        ui.plotly_chart(
            charts.gauge(
                score.probability, score.threshold, ui.t("score.title"), label,
                level=charts.risk_level(score.decision, score.borderline),
                borderline_interval=score.borderline_interval,
            ),
            key=f"{key}_gauge",
        )
        # The same facts in words: a screen reader or a grey-scale print loses nothing.
        st.caption(gauge_text(score))
    with right:
        # The model recommends; the advisor decides (the "Décision finale" tab records it).
        box = st.success if score.decision == "approve" else st.error
        box(f"**{ui.t('score.decision')}{ui.colon()}{ui.recommendation(score.decision)}**",
            icon=":material/gavel:")
        if score.borderline:
            # A flag with one stated meaning (see the API's Score schema), not a percentage.
            st.warning(ui.t("score.borderline"), icon=":material/rate_review:")
        st.metric(ui.t("score.display"), ui.num(score.display_score), help=ui.t("score.display_help"))
        st.metric(ui.t("score.band"), score.risk_band, help=ui.t("score.band_help"))
        st.caption(_grade_detail(score))
        st.caption(ui.t("score.model_version", version=score.model_version))


def render_explanation(explanation: contract.Explanation, key: str = "client") -> None:
    st.subheader(ui.t("explanation.title"))
    rows = explanation.contributions
    if rows:
        ui.plotly_chart(
            charts.contributions(
                # A justified protected attribute (fair-lending policy) is shown to the advisor, marked.
                [r.label + (" ⚖" if r.protected else "") for r in rows], [r.effect for r in rows],
                [ui.feature_text(r.value, r.unit) for r in rows],
                ui.t("explanation.axis"), ui.t("explanation.raises"), ui.t("explanation.lowers"),
                rest=(ui.t("explanation.rest", count=ui.num(explanation.other.count)), explanation.other.effect)
                if explanation.other.count else None,
            ),
            key=f"{key}_contributions",
        )
    if any(r.protected for r in rows):
        st.caption("⚖ " + ui.t("explanation.justified"))
    st.caption(ui.t("explanation.base", base=ui.pct(explanation.base_probability),
                    reference=ui.pct(explanation.reference_probability),
                    probability=ui.pct(explanation.probability)))
    if explanation.text:
        st.markdown(f"**{ui.t('explanation.text')}**")
        st.info(explanation.text)


def _profile_value(profile: contract.ClientProfile, field: str) -> Any:
    return next((p.value for p in profile.profile if p.field == field), None)


def _age(profile: contract.ClientProfile) -> int | None:
    years = _profile_value(profile, "age_years")
    # Whole completed years, as the profile's figure rounded down: 48,9 is "48 ans".
    return int(ui.completed_years(years)) if isinstance(years, int | float) else None


def _input_value(profile: contract.ClientProfile, field: contract.InputField, unknown: Sequence[str] = ()) -> Any:
    """The client's value of an input field, in the unit the simulation takes (days for the
    year fields, rounded the way the form shows them so an untouched field is unchanged).
    ``unknown``: the inputs the file's score names as left blank (``Score.unlearned_unknowns``).

    The profile shows no employment (None) for the bank's "not employed" code as for a blank;
    the import refuses a blank ``DAYS_EMPLOYED`` (``ml.schema``), and the score would name one,
    so a file's empty employment not named blank is that code: the what-if starts from it."""
    name = PROFILE_OF_INPUT.get(field.name, field.name)
    value = _profile_value(profile, name)
    if field.name in YEARS_FIELDS:
        if isinstance(value, int | float):
            return _to_days(ui.completed_years(float(value)))
        special = _no_employment(field)
        shown = any(p.field == name for p in profile.profile)
        return special if special is not None and shown and field.name not in unknown else None
    return value


def _header(client_id: str, profile: contract.ClientProfile, score: contract.Score) -> None:
    """The open file always names its client: bank id, age, the model's recommendation."""
    age = _age(profile)
    st.subheader(ui.t("client.header", client_id=client_id,
                      age=ui.t("client.age", years=age) if age is not None else ui.t("client.age_unknown"),
                      decision=ui.recommendation(score.decision)))
    st.caption(ui.t("client.imported", when=ui.when(profile.imported_at)))


def _profile(profile: contract.ClientProfile) -> None:
    with st.expander(ui.t("client.profile"), expanded=False):
        columns = st.columns(3)
        for index, item in enumerate(profile.profile):
            columns[index % 3].markdown(f"**{item.label}**  \n{ui.feature_text(item.value, item.unit)}")


def _to_years(days: Any) -> float | None:
    """Negative days before the application -> years; the API's sentinel (e.g. "not
    employed", outside the range) is unknown in years."""
    if not isinstance(days, int | float) or days > 0:
        return None
    return -float(days) / DAYS_PER_YEAR


def _to_days(years: float) -> int:
    """Completed years -> the (negative) days before the application that read back as those
    years (``ui.completed_years``): the fewest whole days that complete them. Rounded to the
    nearest day, 48,2 years became 17 605 days, 48,199 years, read back 48,1."""
    return -math.ceil(years * DAYS_PER_YEAR - 1e-9)


def _histograms(feature: contract.FeatureComparison) -> tuple[list[float], list[int | None], list[int | None]] | None:
    edges, defaulters, repaid = feature.hist_edges, feature.hist_defaulters, feature.hist_repaid
    if not edges or defaulters is None or repaid is None or not (len(edges) == len(defaulters) + 1 == len(repaid) + 1):
        return None
    return edges, defaulters, repaid


def _percentile_in(quantiles: list[float] | None, value: float | None) -> float | None:
    """The population percentile (0-100) of ``value`` from the API's quantiles (a comparison
    feature's ``quantiles``, in the unit its value is shown in): the API's own definition,
    ``ml.bundle.percentile_rank`` line for line (the page may not import ``ml``; a test pins the
    two equal), so the similar clients' median and the client sit on one scale: share below
    plus half the share equal, linear between quantiles."""
    if value is None or not quantiles or len(quantiles) < 2:
        return None
    n = len(quantiles) - 1
    left, right = bisect.bisect_left(quantiles, value), bisect.bisect_right(quantiles, value)
    if right > left:
        return 100.0 * (left + right - 1) / (2.0 * n)
    if left == 0:
        return 0.0
    if left > n:
        return 100.0
    low, high = quantiles[left - 1], quantiles[left]
    return 100.0 * (left - 1 + (value - low) / (high - low)) / n


def render_comparison(comparison: contract.Comparison, similar: contract.Similar | None) -> None:
    numeric = [f for f in comparison.features if _histograms(f) is not None]
    if numeric:
        by_name = {f.feature: f for f in numeric}
        chosen = ui.choice(st.selectbox, ui.t("comparison.feature"), list(by_name),
                           format_func=lambda name: by_name[name].label, key="cmp_feature")
        feature = by_name[chosen]
        edges, defaulters, repaid = _histograms(feature) or ([], [], [])
        client_value = feature.value if isinstance(feature.value, int | float) else None
        if client_value is not None and feature.unit == "years":
            client_value = ui.completed_years(client_value)  # its hover reads the figure shown elsewhere
        ui.plotly_chart(
            charts.density(
                edges,
                [(ui.t("comparison.outcome_repaid"), repaid, "solid"), (ui.t("comparison.outcome_default"), defaulters, "dash")],
                client_value,
                title=ui.t("comparison.density_title", label=feature.label),
                x_title=feature.label,
                y_title=ui.t("comparison.density_axis"),
                client_label=ui.t("comparison.client"),
                medians=[(ui.t("comparison.median_repaid"), feature.median_repaid),
                         (ui.t("comparison.median_default"), feature.median_defaulters)],
            ),
            key="density",
        )
        if None in defaulters:
            st.caption(ui.t("comparison.bins_withheld"))
        if feature.percentile is not None:
            # The API's percentiles are on the 0-100 scale (ge=0, le=100 in its schema).
            st.markdown(percentile_sentence(feature.percentile))
    _atypical(comparison)
    _scatter(comparison, similar)
    _profile_chart(comparison, similar)


def percentile_sentence(percentile: float) -> str:
    """Where the client stands, in words: an ordinal centile, or beyond the 1st / 99th when the
    rounded rank would read « 0e » or « 100e » (below or above almost everyone)."""
    rank = round(percentile)
    if rank < 1:
        return ui.t("comparison.percentile_lowest")
    if rank > 99:
        return ui.t("comparison.percentile_highest")
    return ui.t("comparison.percentile", percentile=i18n.ordinal(rank, ui.lang()))


def _scatter(comparison: contract.Comparison, similar: contract.Similar | None) -> None:
    """Two chosen features over the anonymous prototypes (groups of clients, at their medians),
    split by default rate against the population's, with the client highlighted and the
    nearest prototypes as an overlay. The bundle holds no individual outcome."""
    st.subheader(ui.t("comparison.scatter"))
    sample = comparison.sample
    average = comparison.population_default_rate
    outcome = [1 if rate > average else 0 for rate in (sample.default_rate if sample else [])]
    if sample is None or len(sample.features) < 2 or not sample.rows or len(outcome) != len(sample.rows):
        st.caption(ui.t("comparison.no_points"))
        return
    names = sample.features
    label_of = {n: sample.labels.get(n, n) for n in names}
    cx, cy = st.columns(2)
    x_name = ui.choice(cx.selectbox, ui.t("comparison.x"), names, index=0, format_func=label_of.__getitem__, key="cmp_x")
    y_name = ui.choice(cy.selectbox, ui.t("comparison.y"), names, index=1, format_func=label_of.__getitem__, key="cmp_y")
    i, j = names.index(x_name), names.index(y_name)
    default = [r for r, o in zip(sample.rows, outcome, strict=True) if o == 1]
    repaid = [r for r, o in zip(sample.rows, outcome, strict=True) if o != 1]
    # The client's values in the same (model feature) space: the similar answer carries them
    # for exactly these features; the comparison's features are the fallback.
    client_values: dict[str, Any] = {f.feature: f.value for f in comparison.features}
    if similar is not None:
        client_values.update(similar.client)
    overlay = None
    if similar is not None and similar.prototypes and st.checkbox(ui.t("comparison.show_similar"), key="cmp_show_similar"):
        overlay = ([_median(p, x_name) for p in similar.prototypes],
                   [_median(p, y_name) for p in similar.prototypes], ui.t("comparison.similar"))
    ui.plotly_chart(
        charts.scatter(
            [r[i] for r in default], [r[j] for r in default], [r[i] for r in repaid], [r[j] for r in repaid],
            (client_values.get(x_name), client_values.get(y_name)),
            (label_of[x_name], label_of[y_name]),
            (ui.t("comparison.group_below"), ui.t("comparison.group_above"), ui.t("comparison.client")),
            overlay,
        ),
        key="scatter",
    )
    legend = ui.t("comparison.prototype_legend", n=ui.num(len(sample.rows)), average=ui.pct(average))
    st.caption(legend + (" " + ui.t("comparison.similar_legend") if overlay else ""))


def _median(prototype: contract.Prototype, name: str) -> float | None:
    summary = prototype.features.get(name)
    return None if summary is None else summary.median


def _atypical(comparison: contract.Comparison) -> None:
    st.subheader(ui.t("comparison.atypical"))
    st.metric(ui.t("comparison.atypicality"), ui.pct(comparison.atypicality, 0), help=ui.t("comparison.atypicality_help"))
    flagged = [f for f in comparison.features if f.atypical]
    if not flagged:
        st.caption(ui.t("comparison.atypical_none"))
    for f in flagged:
        value = ui.feature_text(f.value, f.unit)
        # A yes/no or a level has no percentile (a rare answer is what makes it atypical): the
        # share of the population with the same answer, as the plain-language text says it.
        share = _same_share(f)
        if f.percentile is None and share is not None:
            text = ui.t("comparison.atypical_item_same", label=f.label, value=value, share=ui.same_share(share))
        else:
            percentile: Any = "—" if f.percentile is None else round(f.percentile)
            text = ui.t("comparison.atypical_item", label=f.label, value=value, percentile=percentile)
        st.warning(text, icon=":material/warning:")


def _same_share(feature: contract.FeatureComparison) -> float | None:
    """The share of the population (0-1) with the feature's answer: the API's ``same_share``
    for a yes/no, the level's count over all counts for a category (as the API counts a
    level's share); None when unknown."""
    if feature.same_share is not None:
        return feature.same_share
    levels, counts = feature.levels, feature.counts
    if not isinstance(feature.value, str) or not levels or not counts or feature.value not in levels:
        return None
    if None in counts:
        return None  # a level withheld (fewer than 10 people of one outcome): no share is given
    total = sum(counts)
    index = levels.index(feature.value)
    return counts[index] / total if total and index < len(counts) else None


def _profile_chart(comparison: contract.Comparison, similar: contract.Similar | None) -> None:
    """Where the client (and the similar clients' median) stand in the population, feature by
    feature, on one 0-100 percentile scale that reads the same way on every row."""
    rows: list[tuple[str, float, float | None]] = []
    for f in comparison.features:
        # No percentile for a category or a yes/no (the API gives none): not on this scale.
        if f.percentile is None or _histograms(f) is None:
            continue
        values = sorted(v for p in (similar.prototypes if similar else []) if (v := _median(p, f.feature)) is not None)
        median = values[len(values) // 2] if values else None
        # The API's quantiles and definition: the same value reads the same percentile.
        rows.append((f.label, f.percentile, _percentile_in(getattr(f, "quantiles", None), median)))
    if len(rows) < 2:
        return
    st.subheader(ui.t("comparison.radar"))
    ui.plotly_chart(
        charts.percentile_dots(
            rows,
            client_name=ui.t("comparison.client"),
            similar_name=ui.t("comparison.similar_median"),
            x_title=ui.t("comparison.percentile_axis_rank"),
            median_label=ui.t("comparison.population_median"),
        ),
        key="percentiles",
    )
    st.caption(ui.t("comparison.radar_note_rank"))


def similar_rows(similar: contract.Similar) -> pd.DataFrame:
    """The client first, then each group (nearest first) at its medians (numbers) or its most
    common level (categories), in the same columns: what the advisor compares."""
    names = list(similar.features)
    table: list[dict[str, Any]] = [{ui.t("similar.who"): ui.t("similar.this_client"), ui.t("similar.size"): "—",
                                    ui.t("similar.default_rate"): "—", ui.t("similar.distance"): "—"}]
    for index, row in enumerate(similar.prototypes, start=1):
        table.append({
            ui.t("similar.who"): ui.t("similar.group", n=index),
            ui.t("similar.size"): ui.num(row.size),
            ui.t("similar.default_rate"): ui.pct(row.default_rate),
            ui.t("similar.distance"): ui.num(row.distance, 2),
        })
    for name in names:
        values = [similar.client.get(name)]
        for row in similar.prototypes:
            summary = row.features.get(name)
            values.append(None if summary is None else summary.median if summary.mode is None else summary.mode)
        for item, text in zip(table, ui.feature_column(values, similar.units.get(name)), strict=True):
            item[similar.labels.get(name, name)] = text
    return pd.DataFrame(table)


def render_similar(similar: contract.Similar) -> None:
    people = sum(p.size for p in similar.prototypes)
    st.markdown(ui.t("similar.prototypes_rate", k=len(similar.prototypes), people=ui.num(people),
                     rate=ui.pct(similar.default_rate), population=ui.pct(similar.population_default_rate)))
    st.caption(ui.t("similar.prototypes_note", min=similar.min_size))
    if similar.prototypes:
        ui.table(similar_rows(similar))


def _name(field: contract.InputField) -> str:
    """A form field's name in sentences (no required star)."""
    return ui.t(YEARS_FIELDS[field.name]) if field.name in YEARS_FIELDS else field.label


def _label(field: contract.InputField) -> str:
    """A form field's label: its name, starred when required."""
    return f"{_name(field)} *" if field.required else _name(field)


# The year fields whose special value (``InputField.special``, outside the bounds) means "no
# such period": the form offers it as a checkbox beside the years, worded by these keys.
NO_PERIOD_FIELDS = {"DAYS_EMPLOYED": ("form.not_employed", "form.not_employed_help", "form.not_employed_value")}


def _no_employment(field: contract.InputField) -> int | float | None:
    """The value the API takes for "not employed" (the bank's 365243), None for another field."""
    if field.name not in NO_PERIOD_FIELDS or not field.special:
        return None
    return int(field.special[0]) if float(field.special[0]).is_integer() else field.special[0]


def _field_input(column: Any, field: contract.InputField, value: Any, key: str) -> Any:
    """One widget as the API's input spec says: a selectbox of the levels (in words) for a
    category, a bounded number input otherwise. An empty choice means "unknown". The employment
    has a "not employed" checkbox beside its years (the API's special value, ticked for it)."""
    label = _label(field)
    if field.type == "category":
        levels = list(field.levels or [])
        options: list[str | None] = list(levels)
        if field.nullable or value not in levels:
            options.insert(0, None)
        return ui.choice(
            column.selectbox, label, options, index=options.index(value) if value in options else 0, key=key,
            format_func=lambda v: ui.t("form.unknown") if v is None else ui.level(v),
            help=ui.t("form.required_help") if field.required else None,
        )
    if field.name in YEARS_FIELDS:
        low_years = _to_years(field.max) if field.max is not None else 0.0
        high_years = _to_years(field.min) if field.min is not None else 100.0
        low_years, high_years = round(low_years or 0.0, 1), round(high_years or 100.0, 1)
        special = _no_employment(field)
        exact = None if special is not None and value == special else _to_years(value)
        # Completed years, as the profile and the header state them (48,9 beside "48 ans", not 49).
        years = None if exact is None else ui.completed_years(exact)
        entered = ui.number_entry(
            column.text_input, label, years, key=key, digits=1,
            low=low_years, high=high_years, help=ui.t("form.years_help", low=ui.num(low_years, 0), high=ui.num(high_years, 0)),
        )
        if special is not None:
            words, help_key, _ = NO_PERIOD_FIELDS[field.name]
            ticked = column.checkbox(ui.t(words), value=value == special, key=f"{key}.none", help=ui.t(help_key))
            if ticked:
                return special if entered is None else ui.Unreadable(ui.t("form.not_employed_conflict"))
        if entered is None or isinstance(entered, ui.Unreadable):
            return entered
        # Shown as the client's own value: the exact days back, not the rounded years.
        return value if years is not None and entered == years else _to_days(float(entered))
    # A count kept as a decimal in the bank's file (the family size, CNT_FAM_MEMBERS: "2.0"):
    # a whole number, shown as one ("2", not "2.000").
    whole = field.type == "integer" or field.name.startswith("CNT_")
    digits = 0 if whole else 2 if field.name.startswith("AMT_") else 3
    current = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    options: dict[str, Any] = {}
    if field.min is not None and field.max is not None:
        shown = 0 if whole or field.name.startswith("AMT_") else 2
        options["help"] = ui.t("form.range", low=ui.num(field.min, shown), high=ui.num(field.max, shown))
    entered = ui.number_entry(column.text_input, label, current, key=key, digits=digits, low=field.min,
                              high=field.max, whole=whole, **options)
    if field.type == "integer" and isinstance(entered, float):
        return int(entered)
    return entered


def _feature_inputs(fields: list[tuple[contract.InputField, Any]], prefix: str, *,
                    about_client: bool = False) -> dict[str, Any]:
    """One widget per (input spec field, current value), in two columns; ``about_client``: the
    widgets are the open client's (``ui.about_subject``)."""
    values: dict[str, Any] = {}
    columns = st.columns(2)
    for index, (field, value) in enumerate(fields):
        key = f"{prefix}_{field.name}"
        values[field.name] = _field_input(columns[index % 2], field, value, ui.about_subject(key) if about_client else key)
    return values


def _unreadable(fields: list[contract.InputField], values: dict[str, Any]) -> bool:
    """Say which typed values cannot be used (not a number, ambiguous, out of bounds), each by
    its label; True when there is one and nothing may be sent."""
    problems = [f"- {ui.literal(_name(field) + ui.colon() + value.reason)}"
                for field in fields if isinstance(value := values.get(field.name), ui.Unreadable)]
    if problems:
        st.error("\n".join([ui.t("form.unreadable"), *problems]))
    return bool(problems)


EARLIEST_WORKING_AGE_YEARS = 14  # the API's rule (backend.scoring.service.implausible)


def _implausible(fields: list[contract.InputField], values: dict[str, Any], changed: set[str] | None = None) -> bool:
    """Say which values cannot be true together (the API refuses them the same way, 422): years
    in the job beyond the age minus 14, a yearly annuity above the credit. With ``changed`` (a
    what-if), only what involves a changed field. True when there is one."""
    def number(name: str) -> float | None:
        value = values.get(name)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    names = {f.name: _name(f) for f in fields}
    problems = []
    birth, employed = number("DAYS_BIRTH"), number("DAYS_EMPLOYED")
    if (birth is not None and employed is not None and birth < 0 and employed < 0
            and -employed > -birth - EARLIEST_WORKING_AGE_YEARS * 365.25
            and (changed is None or changed & {"DAYS_BIRTH", "DAYS_EMPLOYED"})):
        problems.append((names.get("DAYS_EMPLOYED", "DAYS_EMPLOYED"), ui.t("form.employed_beyond_age",
                                                                            years=EARLIEST_WORKING_AGE_YEARS)))
    credit, annuity = number("AMT_CREDIT"), number("AMT_ANNUITY")
    if credit is not None and annuity is not None and annuity > credit and (
            changed is None or changed & {"AMT_CREDIT", "AMT_ANNUITY"}):
        problems.append((names.get("AMT_ANNUITY", "AMT_ANNUITY"), ui.t("form.annuity_beyond_credit")))
    if problems:
        st.error("\n".join([ui.t("form.unreadable"),
                            *(f"- {ui.literal(name + ui.colon() + why)}" for name, why in problems)]))
    return bool(problems)


def _refusal_text(error: ApiError, spec: contract.InputSpec) -> str:
    """A refused simulation in the page's language: the fields by their label, never the
    API's English."""
    labels = {f"{prefix}.{f.name}": f for f in spec.fields for prefix in ("features", "overrides")}
    named = [labels[name] for name in error.fields if name in labels]
    if not named:
        return ui.error_message(error)
    missing = [f for f in named if f.required]
    if len(missing) == len(named):
        return ui.t("form.missing", fields=", ".join(_name(f) for f in missing))
    return ui.t("form.refused", fields=", ".join(_name(f) for f in named))


@st.fragment
def render_whatif(client_id: str, profile: contract.ClientProfile, score: contract.Score) -> None:
    st.caption(ui.t("whatif.intro"))
    spec = input_spec()
    if spec is None:
        return
    # The same fields as the new-applicant form, pre-filled with the client's values.
    fields = [(field, _input_value(profile, field, score.unlearned_unknowns or ())) for field in form_fields(spec)]
    with st.form("whatif"):
        values = _feature_inputs(fields, WHATIF_PREFIX, about_client=True)
        submitted = st.form_submit_button(ui.t("whatif.submit"), type="primary")
    if not submitted or _unreadable([field for field, _ in fields], values):
        return
    original = {field.name: value for field, value in fields}
    overrides = {name: value for name, value in values.items() if value != original.get(name)}
    if not overrides:
        st.info(ui.t("whatif.unchanged"))
        return
    blanked = [field for field, _ in fields if field.required and field.name in overrides
               and overrides[field.name] in ("", None)]
    if blanked:
        # A required field may be changed, not emptied (the API refuses it the same way, 422).
        st.error(ui.t("form.missing", fields=", ".join(_name(f) for f in blanked)))
        return
    if _implausible([field for field, _ in fields], values, set(overrides)):
        return
    try:
        answer = ui.client().post("/scoring/simulate", {"client_id": client_id, "overrides": overrides, "lang": ui.lang()})
    except ApiError as error:
        if error.kind is ErrorKind.invalid:
            st.error(_refusal_text(error, spec))
        else:
            ui.show_error(error)
        return
    result = ui.parse(contract.Simulation, answer)
    if result is not None:
        _simulation_result(result, score.probability, [(field, original.get(field.name), overrides[field.name])
                                                        for field, _ in fields if field.name in overrides])


def _form_value(field: contract.InputField, value: Any) -> str:
    """A form field's value as the advisor reads it back: years for the day counts ("not
    employed" for the bank's code), words for a category, euros for an amount, unknown for a blank."""
    if value is None or value == "":
        return ui.t("common.unknown")
    if field.name in NO_PERIOD_FIELDS and value == _no_employment(field):
        return ui.t(NO_PERIOD_FIELDS[field.name][2])
    if field.name in YEARS_FIELDS:
        years = _to_years(value)
        return ui.t("common.unknown") if years is None else ui.t("form.years_value", years=ui.num(ui.completed_years(years), 1))
    if field.type == "category":
        return ui.level(value)
    if field.name.startswith("AMT_"):
        return ui.money(value, 2 if float(value) != round(float(value)) else 0)
    return ui.num(value, 0 if float(value) == round(float(value)) else 2)


def _simulated_changes(changes: list[tuple[contract.InputField, Any, Any]]) -> None:
    """What the simulation changed, each value before and after as understood (an amount typed
    4 200 for 42 000 reads as such beside the result, not only in its field above)."""
    lines = [f"- {ui.literal(_name(field) + ui.colon())}{ui.literal(_form_value(field, before))} → "
             f"**{ui.literal(_form_value(field, after))}**" for field, before, after in changes]
    st.markdown("\n".join([ui.t("whatif.changes"), *lines]))


def _simulation_result(result: contract.Simulation, before: float | None,
                       changes: Sequence[tuple[contract.InputField, Any, Any]] = ()) -> None:
    """The simulated score; for a what-if, its change from the file's and what was changed."""
    scored = result.score
    if before is not None:
        delta = ui.num((scored.probability - before) * 100, 1)
        if scored.probability >= before:
            delta = "+" + delta
        st.markdown(ui.t("whatif.result", probability=ui.pct(scored.probability), delta=delta,
                         decision=ui.recommendation(scored.decision)))
    if changes:
        _simulated_changes(changes)
    render_score(scored, "simulation")
    if result.unlearned_unknowns:
        _unlearned(result.unlearned_unknowns)
    _beyond_training(scored, "simulation.beyond_training")
    render_explanation(result.explanation, "simulation")


# How the input spec says a day count is typed (negative days back from the application): a
# note for the API's users, noise in a sentence naming the input to an advisor.
_TYPING_NOTE = re.compile(r"\s*\((?:jours, négatif|négatif|days, negative|negative)\)$")


def _plain(label: str) -> str:
    """An input's label without its typing note: « Ancienneté de la pièce d'identité »."""
    return _TYPING_NOTE.sub("", label)


def _unlearned(names: list[str]) -> None:
    """Blanks the model never learned (decision 0030): the form's, by label, to fill in; the
    others (inputs the form does not ask, e.g. the bureau scores) counted, the score then said
    to be indicative."""
    spec = input_spec()
    fields = {f.name: f for f in (spec.fields if spec else [])}
    asked = [fields[n] for n in names if n in fields and fields[n].form_order is not None]
    others = [n for n in names if n not in fields or fields[n].form_order is None]
    lines = []
    if asked:
        lines.append(ui.t("simulation.unlearned", fields=", ".join(_name(f) for f in asked)))
    if others:
        examples = ", ".join(_plain(fields[n].label) if n in fields else n for n in others[:3])
        lines.append(ui.t("simulation.unlearned_others", count=ui.num(len(others)), examples=examples))
    st.warning("\n\n".join(lines), icon=":material/help:")


def _beyond_training(score: contract.Score, key: str) -> None:
    """The inputs valued beyond anything the model learned from (``Score.beyond_training``):
    the score extrapolates there (an income of 1 EUR was an approval like any other)."""
    if score.beyond_training:
        st.warning(ui.t(key, fields=", ".join(_plain(item.label) for item in score.beyond_training)),
                   icon=":material/warning:")


def _unlearned_in_file(names: list[str]) -> None:
    """The stored file's blanks the model never learned, each named: the score is indicative
    until the file is completed (a simulation names the form's and counts the rest)."""
    spec = input_spec()
    fields = {f.name: f for f in (spec.fields if spec else [])}
    named = [_name(fields[n]) if n in fields else n for n in names]
    st.warning(ui.t("score.unlearned", fields=", ".join(named)), icon=":material/help:")


@st.fragment
def render_report(client_id: str) -> None:
    st.caption(ui.t("report.intro"))
    if st.button(ui.t("report.generate"), key="report_generate", icon=":material/picture_as_pdf:"):
        report = ui.call(ui.client().download, f"/clients/{client_id}/report.pdf", {"lang": ui.lang()})
        if report is not None:
            st.session_state[REPORT_KEY] = (client_id, report.content, report.filename or f"octroi-{client_id}.pdf")
    stored = st.session_state.get(REPORT_KEY)
    if stored and stored[0] == client_id:
        st.download_button(ui.t("report.download"), data=stored[1], file_name=stored[2], mime="application/pdf",
                           key="report_download", on_click="ignore")


def _forget_client() -> None:
    """Nothing of the previous client stays on screen once the id changes: neither its answers
    nor what its forms held. Their widgets are keyed by client (``ui.about_subject``): with one
    key, the what-if form showed the previous client's income and age, the decision form its
    choice and reason."""
    for key in (CLIENT_KEY, REPORT_KEY, FINAL_KEY, BAD_ID_KEY, decisions_view.HISTORY_KEY):
        st.session_state.pop(key, None)
    ui.forget(f"{WHATIF_PREFIX}_", *decisions_view.FORM_PREFIXES)  # the previous client's choices
    ui.new_subject()


def _open_client() -> None:
    _forget_client()
    candidate = str(st.session_state.get(LOOKUP_KEY, "")).strip()
    if not candidate:
        return
    client_id = ui.valid_client_id(candidate)
    if client_id is None:
        st.session_state[BAD_ID_KEY] = True
    else:
        st.session_state[CLIENT_KEY] = client_id


def client_page() -> None:
    st.title(ui.t("client.title"))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    # Enter or leaving the field opens the new id at once (and clears the previous file).
    left.text_input(ui.t("client.lookup"), help=ui.t("client.lookup_help"), key=LOOKUP_KEY, on_change=_open_client)
    right.button(ui.t("client.open"), type="primary", on_click=_open_client, key="lookup_open")
    if st.session_state.get(BAD_ID_KEY):
        st.error(ui.t("client.bad_id"))
        return
    client_id = st.session_state.get(CLIENT_KEY)
    if not client_id:
        st.info(ui.t("client.prompt"))
        return
    api = ui.client()
    try:
        with st.spinner(ui.t("common.loading")):
            profile = ui.parse(contract.ClientProfile, api.get(f"/clients/{client_id}", {"lang": ui.lang()}))
            score = ui.parse(contract.Score, api.get(f"/clients/{client_id}/score", {"lang": ui.lang()}))
    except ApiError as error:
        if error.kind is ErrorKind.not_found:
            st.warning(ui.t("client.unknown", client_id=client_id))
            return
        ui.show_error(error)
        return
    if profile is None or score is None:
        return
    _header(client_id, profile, score)
    _profile(profile)
    tabs = st.tabs([ui.t("client.tab.decision"), ui.t("client.tab.comparison"), ui.t("client.tab.similar"),
                    ui.t("client.tab.whatif"), ui.t("client.tab.report"), ui.t("final.tab")])
    with tabs[0]:
        render_score(score)
        if score.unlearned_unknowns:
            _unlearned_in_file(score.unlearned_unknowns)
        _beyond_training(score, "score.beyond_training")
        _explanation_part(client_id)
    _comparison_and_similar(client_id, tabs[1], tabs[2])
    with tabs[3]:
        render_whatif(client_id, profile, score)
    with tabs[4]:
        render_report(client_id)
    with tabs[5]:
        # The decision history, revision, contest and review (issue 15).
        decisions_view.render_decision_section(client_id, score)


@st.fragment
def _explanation_part(client_id: str) -> None:
    """The contributions, as many as the advisor asks for: moving the slider reads the
    explanation again, and nothing else of the file (module docstring)."""
    top = st.slider(ui.t("explanation.top"), 3, 20, 10, key="explain_top")
    explanation = ui.fetch_as(contract.Explanation, f"/clients/{client_id}/explanation", top=top, lang=ui.lang())
    if explanation is not None:
        render_explanation(explanation)


@st.fragment
def _comparison_and_similar(client_id: str, comparison_tab: Any, similar_tab: Any) -> None:
    """The similar clients (as many as the advisor asks for) and the comparison, which draws
    them as an overlay: one fragment writing into both tabs, so a choice in either (the
    slider, a feature, the scatter's axes) reads these two again and the two tabs agree."""
    with similar_tab:
        k = st.slider(ui.t("similar.k"), 3, MAX_SIMILAR, 10, key="similar_k")
        similar = ui.fetch_as(contract.Similar, f"/clients/{client_id}/similar", k=k, lang=ui.lang())
        if similar is not None:
            render_similar(similar)
    with comparison_tab:
        comparison = ui.fetch_as(contract.Comparison, f"/clients/{client_id}/comparison", lang=ui.lang(), sample=SAMPLE_SIZE)
        if comparison is not None:
            render_comparison(comparison, similar)


def new_applicant_page() -> None:
    st.title(ui.t("applicant.title"))
    st.caption(ui.t("applicant.intro"))
    spec = input_spec()
    if spec is None:
        return
    with st.form("applicant"):
        values = _feature_inputs([(field, None) for field in form_fields(spec)], "applicant")
        st.caption(ui.t("form.required_note").replace("*", "\\*"))  # a star, not a Markdown list
        submitted = st.form_submit_button(ui.t("applicant.submit"), type="primary")
    if not submitted or _unreadable(form_fields(spec), values):
        return
    features = {name: value for name, value in values.items() if value not in ("", None)}
    missing = [f for f in form_fields(spec) if f.required and f.name not in features]
    if missing:
        # Said at once, in the page's language; the API would refuse the same way (422).
        st.error(ui.t("form.missing", fields=", ".join(_name(f) for f in missing)))
        return
    if _implausible(form_fields(spec), features):
        return
    try:
        answer = ui.client().post("/scoring/simulate", {"features": features, "lang": ui.lang()})
    except ApiError as error:
        if error.kind is ErrorKind.invalid:
            st.error(_refusal_text(error, spec))
        else:
            ui.show_error(error)
        return
    result = ui.parse(contract.Simulation, answer)
    if result is not None:
        _simulation_result(result, None)
