"""Plotly figures. Pure functions of the data and already-translated labels, so they can be
built and checked without a browser. Colour is never the only signal: every risk colour
comes with a text label or a sign.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

SAFE = "#1a7f37"
WATCH = "#d29922"
RISK = "#cf222e"
CLIENT = "#0550ae"
NEUTRAL = "#8c959f"
INK = "#24292f"  # chart text: 15:1 on white (WCAG asks 4.5:1)
# Percent axes and hovers are built in percentage points with this suffix; ``localise`` swaps
# in the page language's (``20 %`` in French, ``20%`` in English). Plotly's own ``.0%`` format
# cannot: d3 glues the sign to the number in every language.
PERCENT = "%"


def localise(fig: go.Figure, *, separators: str, percent: str) -> go.Figure:
    """``fig`` in a language's number format: decimal and group separators, and ``percent``
    (the text Babel puts after a percentage's digits) on every percent axis, gauge and hover."""
    fig.update_layout(separators=separators)

    def axis(ax: object) -> None:
        if getattr(ax, "ticksuffix", None) == PERCENT:
            ax.ticksuffix = percent  # type: ignore[attr-defined]

    fig.for_each_xaxis(axis)
    fig.for_each_yaxis(axis)
    for trace in fig.data:
        if isinstance(trace, go.Indicator):
            if trace.number.suffix == PERCENT:
                trace.number.suffix = percent
            axis(trace.gauge.axis)
        template = getattr(trace, "hovertemplate", None)
        if isinstance(template, str):
            trace.hovertemplate = template.replace("}" + PERCENT, "}" + percent)
    return fig


def readable(fig: go.Figure) -> go.Figure:
    """Chart text in ``INK``: the default grey on ticks and titles fell to 3.7:1."""
    fig.update_layout(font_color=INK, title_font_color=INK, legend_font_color=INK)
    fig.update_xaxes(color=INK, tickfont_color=INK, title_font_color=INK)
    fig.update_yaxes(color=INK, tickfont_color=INK, title_font_color=INK)
    return fig


def risk_level(decision: str, borderline: bool) -> str:
    """``low`` / ``medium`` / ``high``: the gauge's colour from the API's decision and its
    borderline flag (the API defines both; the dashboard keeps no risk wording of its own)."""
    if borderline:
        return "medium"
    return "high" if decision == "refuse" else "low"


def risk_colour(level: str) -> str:
    return {"low": SAFE, "medium": WATCH, "high": RISK}[level]


def gauge(
    probability: float,
    threshold: float,
    title: str,
    label: str,
    level: str = "low",
    borderline_interval: Sequence[float] | None = None,
) -> go.Figure:
    """``label`` is the API's grade wording; the yellow zone is the API's borderline interval."""
    low, high = (borderline_interval or (threshold, threshold))[:2]
    # Zoom on the part of the scale where decisions happen (thresholds are often under 15 %),
    # keeping the client's probability and the threshold on the dial.
    upper = min(1.0, max(threshold * 3, probability * 1.15, 0.2))
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=probability * 100,
            number={"suffix": PERCENT, "valueformat": ".1f"},
            title={"text": f"{title}<br><span style='font-size:0.9em;color:{risk_colour(level)}'><b>{label}</b></span>"},
            gauge={
                "axis": {"range": [0, upper * 100], "ticksuffix": PERCENT},
                "bar": {"color": risk_colour(level), "thickness": 0.35},
                "steps": [
                    {"range": [0, low * 100], "color": "#dafbe1"},
                    {"range": [low * 100, high * 100], "color": "#fff8c5"},
                    {"range": [high * 100, upper * 100], "color": "#ffebe9"},
                ],
                "threshold": {"line": {"color": "#24292f", "width": 4}, "thickness": 0.9, "value": threshold * 100},
            },
        )
    )
    fig.update_layout(height=280, margin={"l": 30, "r": 30, "t": 80, "b": 10})
    return readable(fig)


def contributions(
    labels: Sequence[str],
    effects: Sequence[float],
    values: Sequence[str],
    axis_title: str,
    raises: str,
    lowers: str,
    rest: tuple[str, float] | None = None,
) -> go.Figure:
    """Signed horizontal bars, biggest effect on top; red raises the risk, green lowers it,
    and the hover text says so in words. ``rest`` (label, effect): the features not listed,
    one grey bar at the bottom, so the bars add up to the client's probability minus the
    model's reference point."""
    order = sorted(range(len(labels)), key=lambda i: abs(effects[i]))
    ys = [f"{labels[i]} = {values[i]}" for i in order]
    xs = [effects[i] * 100 for i in order]
    colours = [RISK if x > 0 else SAFE for x in xs]
    words = [raises if x > 0 else lowers for x in xs]
    if rest is not None:
        ys, xs = [rest[0], *ys], [rest[1] * 100, *xs]
        colours, words = [NEUTRAL, *colours], [raises if rest[1] > 0 else lowers, *words]
    fig = go.Figure(
        go.Bar(
            x=xs,
            y=ys,
            orientation="h",
            marker_color=colours,
            # Plotly formats the labels with the figure's separators (``-1,0`` in French).
            texttemplate="%{x:+.1f}",
            textposition="outside",
            customdata=words,
            hovertemplate="%{y}<br>%{x:+.2f} pts — %{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title=axis_title,
        height=max(260, 36 * len(ys) + 80),
        margin={"l": 10, "r": 40, "t": 20, "b": 40},
        yaxis={"automargin": True},
    )
    fig.add_vline(x=0, line_color="#24292f", line_width=1)
    return readable(fig)


def density(
    edges: Sequence[float],
    series: Sequence[tuple[str, Sequence[int | None], str]],
    client_value: float | None,
    *,
    title: str,
    x_title: str,
    y_title: str,
    client_label: str,
    medians: Sequence[tuple[str, float | None]] = (),
) -> go.Figure:
    """The population's distribution split by outcome: one curve per (name, counts, dash),
    each normalised to its own total so the shapes compare; told apart by colour AND dash,
    named in the legend. The client's value and the medians are vertical lines whose labels
    sit in the legend (no text printed over each other). Shares are in percentage points, of
    the bins shown: a bin withheld (None) is a gap in the curve."""
    centres = [(edges[i] + edges[i + 1]) / 2 for i in range(len(edges) - 1)]
    colours = (SAFE, RISK)
    fig = go.Figure()
    shares = [[None if c is None else 100 * c / (float(sum(c for c in counts if c is not None)) or 1.0) for c in counts]
              for _, counts, _ in series]
    for index, ((name, _, dash), ys) in enumerate(zip(series, shares, strict=True)):
        # A bin alone between gaps (or an end) draws no line: a dot shows it.
        alone = [y is not None and (i == 0 or ys[i - 1] is None) and (i == len(ys) - 1 or ys[i + 1] is None)
                 for i, y in enumerate(ys)]
        fig.add_trace(go.Scatter(
            x=centres, y=ys, mode="lines+markers" if any(alone) else "lines", name=name, connectgaps=False,
            marker={"size": [8 if a else 0 for a in alone], "color": colours[index % 2]},
            line={"color": colours[index % 2], "dash": dash, "width": 3, "shape": "spline"},
            hovertemplate="%{x:.3g}: %{y:.1f}" + PERCENT + "<extra>" + name + "</extra>",
        ))
    top = max((y for ys in shares for y in ys if y is not None), default=100.0)
    for index, (name, value) in enumerate(medians):
        if value is not None:
            fig.add_trace(go.Scatter(x=[value, value], y=[0, top], mode="lines", name=name,
                                     line={"color": colours[index % 2], "dash": "dot", "width": 2}))
    if client_value is not None:
        fig.add_trace(go.Scatter(x=[client_value, client_value], y=[0, top * 1.05], mode="lines+markers", name=client_label,
                                 line={"color": CLIENT, "width": 4}, marker={"symbol": "star", "size": 14}))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 50, "b": 40}, title=title,
                      xaxis_title=x_title, yaxis_title=y_title, yaxis_ticksuffix=PERCENT, legend={"orientation": "h", "y": -0.25})
    return readable(fig)


def scatter(
    xs_default: Sequence[float],
    ys_default: Sequence[float],
    xs_repaid: Sequence[float],
    ys_repaid: Sequence[float],
    client_xy: tuple[float | None, float | None],
    labels: tuple[str, str],
    names: tuple[str, str, str],
    overlay: tuple[Sequence[float | None], Sequence[float | None], str] | None = None,
) -> go.Figure:
    """Two features of the reference profiles, coloured AND shaped by outcome; the client a
    large star; ``overlay`` (xs, ys, name) adds other profiles (the similar clients) as
    diamonds."""
    repaid_name, default_name, client_name = names
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(xs_repaid), y=list(ys_repaid), mode="markers", name=repaid_name,
                             marker={"color": SAFE, "symbol": "circle", "size": 6, "opacity": 0.45}))
    fig.add_trace(go.Scatter(x=list(xs_default), y=list(ys_default), mode="markers", name=default_name,
                             marker={"color": RISK, "symbol": "x", "size": 7, "opacity": 0.8}))
    if overlay is not None:
        fig.add_trace(go.Scatter(x=list(overlay[0]), y=list(overlay[1]), mode="markers", name=overlay[2],
                                 marker={"color": WATCH, "symbol": "diamond", "size": 10,
                                         "line": {"color": "#24292f", "width": 1}}))
    if client_xy[0] is not None and client_xy[1] is not None:
        fig.add_trace(go.Scatter(x=[client_xy[0]], y=[client_xy[1]], mode="markers", name=client_name,
                                 marker={"color": CLIENT, "symbol": "star", "size": 20, "line": {"color": "white", "width": 1}}))
    # The legend above the plot: below, it ran over the horizontal axis title.
    fig.update_layout(xaxis_title=labels[0], yaxis_title=labels[1], height=400,
                      margin={"l": 10, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return readable(fig)


def percentile_dots(
    rows: Sequence[tuple[str, float, float | None]],
    *,
    client_name: str,
    similar_name: str,
    x_title: str,
    median_label: str,
) -> go.Figure:
    """One row per feature (label, client percentile, similar clients' median percentile) on
    one 0-100 axis that reads the same way on every row: the client a star, the similar
    clients a diamond (shape and colour), the population median a labelled line at 50."""
    labels = [row[0] for row in rows]
    fig = go.Figure()
    similar = [(row[0], row[2]) for row in rows if row[2] is not None]
    if similar:
        fig.add_trace(go.Scatter(x=[v for _, v in similar], y=[label for label, _ in similar], mode="markers", name=similar_name,
                                 marker={"symbol": "diamond", "size": 12, "color": WATCH, "line": {"color": INK, "width": 1}},
                                 hovertemplate="%{y}: %{x:.0f}<extra>" + similar_name + "</extra>"))
    fig.add_trace(go.Scatter(x=[row[1] for row in rows], y=labels, mode="markers", name=client_name,
                             marker={"symbol": "star", "size": 16, "color": CLIENT},
                             hovertemplate="%{y}: %{x:.0f}<extra>" + client_name + "</extra>"))
    fig.add_vline(x=50, line_color=INK, line_dash="dot", annotation_text=median_label, annotation_position="top")
    fig.update_layout(xaxis={"range": [0, 100], "title": x_title}, yaxis={"automargin": True, "autorange": "reversed"},
                      height=max(260, 34 * len(rows) + 120), margin={"l": 10, "r": 20, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": -0.2})
    return readable(fig)


def score_histogram(
    edges: Sequence[float],
    counts: Sequence[float],
    threshold: float,
    x_title: str,
    y_title: str,
    threshold_label: str,
    names: tuple[str, ...] = ("", ""),
) -> go.Figure:
    """Applicants per probability bin, each bar as wide as its bin and as high as its applicants
    per percentage point (``y_title`` says so): the bins are not all equally wide (the threshold
    is an edge, and the API merges every bin of fewer than 10 applicants with its neighbours),
    so a bar's *area* is its count: a narrow bin beside the threshold does not look like a dip,
    nor a wide merged one like a peak. The bin's range and count are in the hover. The bins at or above the threshold are red AND
    hatched and named in the legend, so the split never rests on colour alone. The API makes
    the threshold a bin edge; a bin that still straddles it (aggregates stored before that) is
    grey, named as such, never counted on either side."""
    sides: dict[str, list[int]] = {"below": [], "above": [], "mixed": []}
    for i in range(len(edges) - 1):
        low, high = edges[i], edges[i + 1]
        sides["above" if low >= threshold else "below" if high <= threshold else "mixed"].append(i)
    fig = go.Figure()
    looks = (("below", SAFE, ""), ("above", RISK, "/"), ("mixed", NEUTRAL, "."))
    for (side, colour, shape), name in zip(looks, (*names, "", "", "")[:3], strict=True):
        index = sides[side]
        if not index:
            continue
        fig.add_trace(go.Bar(
            x=[(edges[i] + edges[i + 1]) / 2 * 100 for i in index],
            y=[counts[i] / ((edges[i + 1] - edges[i]) * 100) for i in index],
            width=[(edges[i + 1] - edges[i]) * 100 * 0.95 for i in index], name=name,
            customdata=[[edges[i] * 100, edges[i + 1] * 100, counts[i]] for i in index],
            marker={"color": colour, "pattern": {"shape": shape, "fgcolor": "white", "fillmode": "overlay"}},
            hovertemplate="%{customdata[0]:.1f}–%{customdata[1]:.1f}" + PERCENT + ": %{customdata[2]:,}<extra>" + name + "</extra>",
        ))
    fig.add_vline(x=threshold * 100, line_color=INK, line_width=3, annotation_text=threshold_label,
                  annotation_position="top right")
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title, xaxis_ticksuffix=PERCENT, xaxis_range=[0, 100], height=360,
                      margin={"l": 10, "r": 10, "t": 30, "b": 40}, legend={"orientation": "h", "y": -0.25},
                      barmode="overlay")
    return readable(fig)


def horizontal_bars(labels: Sequence[str], values: Sequence[float], x_title: str, *, percent: bool = False) -> go.Figure:
    """``percent``: ``values`` are shares (0-1), drawn in percentage points."""
    order = sorted(range(len(labels)), key=lambda i: values[i])
    scale = 100.0 if percent else 1.0
    fig = go.Figure(go.Bar(x=[values[i] * scale for i in order], y=[labels[i] for i in order], orientation="h",
                           marker_color=CLIENT,
                           hovertemplate="%{y}: %{x:.1f}" + PERCENT + "<extra></extra>" if percent else None))
    fig.update_layout(xaxis_title=x_title, height=max(260, 30 * len(labels) + 80), margin={"l": 10, "r": 20, "t": 20, "b": 40},
                      yaxis={"automargin": True}, xaxis_ticksuffix=PERCENT if percent else None)
    return readable(fig)


def grouped_shares(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    *,
    x_title: str,
    y_title: str = "",
    errors: tuple[Sequence[float], Sequence[float]] | None = None,
) -> go.Figure:
    """Side-by-side bars of shares (0-1) per category, in percentage points: one bar per
    (name, shares, colour), named in the legend above the plot. ``errors`` (above, below) are
    the last series' whiskers, as shares."""
    fig = go.Figure()
    for index, (name, shares, colour) in enumerate(series):
        whiskers = None
        if errors is not None and index == len(series) - 1:
            whiskers = {"type": "data", "symmetric": False, "array": [100 * e for e in errors[0]],
                        "arrayminus": [100 * e for e in errors[1]], "color": INK}
        fig.add_trace(go.Bar(x=list(categories), y=[None if v is None else 100 * v for v in shares], name=name,
                             marker_color=colour, error_y=whiskers,
                             hovertemplate="%{x}: %{y:.1f}" + PERCENT + "<extra>" + name + "</extra>"))
    fig.update_layout(barmode="group", yaxis_ticksuffix=PERCENT, height=330, xaxis_title=x_title, yaxis_title=y_title,
                      legend={"orientation": "h", "y": 1.12, "x": 0},  # above the plot, clear of the axis title
                      margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return readable(fig)


def shift_bars(bins: Sequence[str], counts: Sequence[int], x_title: str, y_title: str) -> go.Figure:
    """Requests per band of probability shift, the bands in the order given (lowest shift
    first): Plotly would otherwise sort text categories and put "[+0 ; +1)" before "[-1 ; 0)"."""
    fig = go.Figure(go.Bar(x=list(bins), y=list(counts), marker_color=CLIENT,
                           hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_layout(xaxis={"title": x_title, "type": "category", "categoryorder": "array", "categoryarray": list(bins)},
                      yaxis_title=y_title, height=330, margin={"l": 10, "r": 10, "t": 20, "b": 40})
    return readable(fig)
