"""The comparison as a terminal table and as one self-contained HTML page.

Why self-contained: the page is shared and opened offline, so plotly's JavaScript is
inlined (no CDN) and the page has no other file beside it.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots
from rich.table import Table

from freqfleet.backtest.engine import FleetComparison
from freqfleet.backtest.metrics import RunFigures
from freqfleet.files import write_atomic

COLUMNS: tuple[tuple[str, str], ...] = (
    ("run", "name"),
    ("trades", "trades"),
    ("profit", "profit"),
    ("max drawdown", "drawdown"),
    ("win rate", "win_rate"),
    ("utilisation (mean / max)", "utilisation"),
    ("lost entries", "lost_entries"),
)


def _cells(figure: RunFigures, currency: str) -> list[str]:
    return [
        figure.name,
        str(figure.trades),
        f"{figure.profit_abs:.8g} {currency} ({figure.profit_pct:+.2f}%)",
        f"{figure.max_drawdown_abs:.8g} {currency} ({figure.max_drawdown_pct:.2f}%)",
        f"{figure.win_rate:.1f}%",
        f"{figure.utilisation_mean:.1f}% / {figure.utilisation_max:.1f}%",
        str(figure.lost_entries),
    ]


def _title(comparison: FleetComparison) -> str:
    return (
        f"{comparison.strategy}, {len(comparison.fleet.pairs)} pairs, {comparison.timeframe}, "
        f"{comparison.start:%Y-%m-%d %H:%M} to {comparison.end:%Y-%m-%d %H:%M}"
    )


def comparison_table(comparison: FleetComparison, currency: str) -> Table:
    table = Table(title=f"Fleet vs split wallets: {_title(comparison)}", title_justify="left")
    for heading, _ in COLUMNS:
        table.add_column(heading, justify="left" if heading == "run" else "right")
    for figure in comparison.figures:
        table.add_row(*_cells(figure, currency))
    splits = ", ".join(
        f"{run.name}: {len(run.pairs)} pairs, {run.max_open_trades} slots"
        for run in comparison.splits
    )
    table.caption = (
        f"fleet: {comparison.fleet.max_open_trades} slots, wallet {comparison.fleet.wallet:.8g} "
        f"{currency}; split: {splits}. Lost entries: signals rejected for lack of a free slot "
        "or of stake."
    )
    table.caption_justify = "left"
    return table


def comparison_figure(comparison: FleetComparison) -> go.Figure:
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("Wallet value (realised)", "Share of the wallet in trades"),
    )
    for name, curve in comparison.equity_curves().items():
        figure.add_trace(
            go.Scatter(x=curve.index, y=curve.to_numpy(), name=name, mode="lines", line_shape="hv"),
            row=1,
            col=1,
        )
    for name, curve in comparison.utilisation_curves().items():
        figure.add_trace(
            go.Scatter(
                x=curve.index,
                y=100 * curve.to_numpy(),
                name=f"{name}: utilisation",
                mode="lines",
                line_shape="hv",
            ),
            row=2,
            col=1,
        )
    figure.update_yaxes(title_text="%", row=2, col=1)
    figure.update_layout(height=760, template="plotly_white", legend={"orientation": "h"})
    return figure


def comparison_html(comparison: FleetComparison, currency: str) -> str:
    rows = "\n".join(
        "<tr>"
        + "".join(f"<td>{html.escape(cell)}</td>" for cell in _cells(figure, currency))
        + "</tr>"
        for figure in comparison.figures
    )
    headings = "".join(f"<th>{html.escape(heading)}</th>" for heading, _ in COLUMNS)
    chart = comparison_figure(comparison).to_html(
        include_plotlyjs=True, full_html=False, div_id="fleet-vs-split"
    )
    title = html.escape(_title(comparison))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>freqfleet backtest: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
</style>
</head>
<body>
<h1>One shared wallet vs split wallets</h1>
<p>{title}</p>
<table id="figures"><thead><tr>{headings}</tr></thead><tbody>
{rows}
</tbody></table>
<p>Lost entries: entry signals freqtrade rejected because every slot was taken or the
wallet could not fund the stake. Utilisation: stake in open trades over the starting
wallet, time-weighted.</p>
{chart}
</body>
</html>
"""


def write_html(comparison: FleetComparison, currency: str, path: Path) -> Path:
    write_atomic(Path(path), comparison_html(comparison, currency))
    return Path(path)


__all__ = ["comparison_figure", "comparison_html", "comparison_table", "write_html"]
