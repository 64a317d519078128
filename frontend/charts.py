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
            number={"suffix": " %", "valueformat": ".1f"},
            title={"text": f"{title}<br><span style='font-size:0.9em;color:{risk_colour(level)}'><b>{label}</b></span>"},
            gauge={
                "axis": {"range": [0, upper * 100], "ticksuffix": " %"},
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
    return fig


def contributions(
    labels: Sequence[str],
    effects: Sequence[float],
    values: Sequence[str],
    axis_title: str,
    raises: str,
    lowers: str,
) -> go.Figure:
    """Signed horizontal bars, biggest effect on top; red raises the risk, green lowers it,
    and the hover text says so in words."""
    order = sorted(range(len(labels)), key=lambda i: abs(effects[i]))
    ys = [f"{labels[i]} = {values[i]}" for i in order]
    xs = [effects[i] * 100 for i in order]
    colours = [RISK if x > 0 else SAFE for x in xs]
    words = [raises if x > 0 else lowers for x in xs]
    fig = go.Figure(
        go.Bar(
            x=xs,
            y=ys,
            orientation="h",
            marker_color=colours,
            text=[f"{x:+.1f}" for x in xs],
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
    return fig


def density(
    edges: Sequence[float],
    counts: Sequence[float],
    client_value: float | None,
    title: str,
    client_label: str,
    medians: Sequence[tuple[str, float | None]] = (),
) -> go.Figure:
    """The population's histogram as a filled density curve with the client's value marked."""
    centres = [(edges[i] + edges[i + 1]) / 2 for i in range(len(edges) - 1)] if len(edges) == len(counts) + 1 else list(edges)
    total = float(sum(counts)) or 1.0
    fig = go.Figure(
        go.Scatter(
            x=centres,
            y=[c / total for c in counts],
            mode="lines",
            fill="tozeroy",
            line={"color": NEUTRAL, "shape": "spline"},
            name=title,
            hovertemplate="%{x:.3g}: %{y:.1%}<extra></extra>",
        )
    )
    # The client's label sits at the top; the medians' at the bottom, on alternate sides, so
    # close lines do not print their labels on top of each other.
    sides = ("bottom left", "bottom right")
    for index, (name, value) in enumerate(medians):
        if value is not None:
            fig.add_vline(x=value, line_dash="dot", line_color="#57606a", annotation_text=name,
                          annotation_position=sides[index % 2])
    if client_value is not None:
        fig.add_vline(x=client_value, line_color=CLIENT, line_width=3, annotation_text=client_label, annotation_position="top right")
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40, "b": 30}, showlegend=False, title=title, yaxis_tickformat=".0%")
    return fig


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
    fig.update_layout(xaxis_title=labels[0], yaxis_title=labels[1], height=380,
                      margin={"l": 10, "r": 10, "t": 20, "b": 40}, legend={"orientation": "h"})
    return fig


def radar(axes: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]]) -> go.Figure:
    """Percentiles (0-100) of several profiles on the same axes."""
    fig = go.Figure()
    closed_axes = [*axes, axes[0]] if axes else []
    for name, values, colour in series:
        closed = [*values, values[0]] if values else []
        fig.add_trace(go.Scatterpolar(r=closed, theta=closed_axes, name=name, line={"color": colour}, fill="toself", opacity=0.55))
    fig.update_layout(polar={"radialaxis": {"range": [0, 100]}}, height=420, margin={"l": 40, "r": 40, "t": 30, "b": 30},
                      legend={"orientation": "h"})
    return fig


def score_histogram(
    edges: Sequence[float], counts: Sequence[float], threshold: float, x_title: str, y_title: str, threshold_label: str
) -> go.Figure:
    centres = [(edges[i] + edges[i + 1]) / 2 * 100 for i in range(len(edges) - 1)] if len(edges) == len(counts) + 1 else [e * 100 for e in edges]
    colours = [RISK if c / 100 >= threshold else SAFE for c in centres]
    fig = go.Figure(go.Bar(x=centres, y=list(counts), marker_color=colours,
                           hovertemplate="%{x:.1f} %: %{y}<extra></extra>"))
    fig.add_vline(x=threshold * 100, line_color="#24292f", line_width=3, annotation_text=threshold_label, annotation_position="top right")
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title, xaxis_ticksuffix=" %", bargap=0.05, height=340,
                      margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return fig


def horizontal_bars(labels: Sequence[str], values: Sequence[float], x_title: str, *, percent: bool = False) -> go.Figure:
    order = sorted(range(len(labels)), key=lambda i: values[i])
    fig = go.Figure(go.Bar(x=[values[i] for i in order], y=[labels[i] for i in order], orientation="h", marker_color=CLIENT))
    fig.update_layout(xaxis_title=x_title, height=max(260, 30 * len(labels) + 80), margin={"l": 10, "r": 20, "t": 20, "b": 40},
                      yaxis={"automargin": True}, xaxis_tickformat=".0%" if percent else None)
    return fig
