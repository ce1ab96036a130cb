"""The status use case and its HTML dashboard: one self-contained file (inline SVG, inline CSS,
no script, nothing fetched), so it opens anywhere, offline, and can be mailed as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from numerpilot.agent.ledger import Ledger
from numerpilot.clock import Clock, utc
from numerpilot.config import Settings
from numerpilot.fsutil import write_text_atomic
from numerpilot.pipeline.status import StatusReport, build_status

DASHBOARD_FILE = "dashboard.html"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
EMPTY_MESSAGE = (
    "The ledger is empty: nothing has run yet. Start the autopilot with 'numerpilot run'."
)


@dataclass(frozen=True)
class StatusResult:
    report: StatusReport
    dashboard: Path
    ledger: Path
    ledger_found: bool


def collect_status(
    ledger: Ledger, now: datetime, models: Sequence[str] = (), recent_rounds: int = 20
) -> StatusReport:
    return build_status(
        ledger.rounds(),
        ledger.submissions(),
        ledger.scores(),
        ledger.stake_actions(),
        now=now,
        models=models,
        recent_rounds=recent_rounds,
    )


def status(settings: Settings, clock: Clock, *, recent_rounds: int = 20) -> StatusResult:
    """Summarise the ledger and write the dashboard. A missing ledger is read as an empty one
    (and is not created: looking must not change anything)."""
    models = [m.name for m in settings.tournament.models]
    path = settings.ledger_path
    now = utc(clock.now())
    if path.exists():
        with Ledger(path, clock) as ledger:
            report = collect_status(ledger, now, models, recent_rounds)
    else:
        report = build_status([], [], [], [], now=now, models=models)
    target = settings.reports_path / DASHBOARD_FILE
    write_text_atomic(target, render_dashboard(report))
    return StatusResult(report, target, path, path.exists())


def _text(value: str) -> str:
    """``value`` safe as element content (attributes use ``escape`` with quotes)."""
    return escape(value, quote=False)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


def _line_chart(title: str, series: dict[str, list[tuple[int, float]]]) -> str:
    """An SVG line chart of one line per model over round numbers, with a zero line."""
    width, height, left, right, top, bottom = 640, 240, 64, 16, 28, 28
    head = f"<h3>{_text(title)}</h3>"
    points = [p for line in series.values() for p in line]
    if not points:
        return head + '<p class="muted">No scores yet.</p>'
    xs, ys = [x for x, _ in points], [y for _, y in points] + [0.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return top + (y1 - y) / (y1 - y0) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<line x1="{left}" y1="{sy(0):.1f}" x2="{width - right}" y2="{sy(0):.1f}" '
        'stroke="#999" stroke-dasharray="4 3"/>',
        f'<text x="{left - 6}" y="{sy(y1) + 4:.1f}" text-anchor="end">{y1:.3g}</text>',
        f'<text x="{left - 6}" y="{sy(y0) + 4:.1f}" text-anchor="end">{y0:.3g}</text>',
        f'<text x="{left}" y="{height - 8}">round {min(xs)}</text>',
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end">round {max(xs)}</text>',
    ]
    if y0 < 0 < y1:
        parts.append(f'<text x="{left - 6}" y="{sy(0) + 4:.1f}" text-anchor="end">0</text>')
    for i, (model, line) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in line)
        if len(line) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>'
            )
        parts += [
            f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{colour}"/>' for x, y in line
        ]
        parts.append(
            f'<text x="{left + 8 + 150 * i}" y="16" style="fill:{colour}">{_text(model)}</text>'
        )
    parts.append("</svg>")
    return head + "".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_text(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_text(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _when(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%d %H:%M UTC")


def render_dashboard(report: StatusReport) -> str:
    sections = [f'<h1>numerpilot</h1><p class="muted">Generated {_when(report.generated_at)}</p>']
    if report.empty:
        sections.append(f"<p>{_text(EMPTY_MESSAGE)}</p>")
    else:
        sections.append(
            "<h2>Models</h2>"
            + _table(
                [
                    "model",
                    "confirmed",
                    "missed",
                    "failed",
                    "scored",
                    "resolved",
                    "mean corr",
                    "mean mmc",
                    "payout NMR",
                    "last stake decision",
                ],
                [
                    [
                        m.model,
                        str(m.confirmed),
                        str(m.missed),
                        str(m.failed),
                        str(m.scored_rounds),
                        str(m.resolved_rounds),
                        _fmt(m.mean_corr),
                        _fmt(m.mean_mmc),
                        f"{m.total_payout:+.4f}",
                        "–"
                        if m.last_stake is None
                        else f"{m.last_stake.action} {m.last_stake.amount} "
                        f"({'dry run' if m.last_stake.dry_run else 'done'})",
                    ]
                    for m in report.models
                ],
            )
        )
        corr = {m.model: [(p.round_number, p.corr) for p in m.cumulative] for m in report.models}
        pay = {m.model: [(p.round_number, p.payout) for p in m.cumulative] for m in report.models}
        sections.append(_line_chart("Cumulative score (corr)", corr))
        sections.append(_line_chart("Cumulative payout (NMR)", pay))
        names = [m.model for m in report.models]
        rows = []
        for r in report.rounds:
            cells = []
            for name in names:
                c = r.models[name]
                score = "" if c.corr is None else f" corr {_fmt(c.corr)} mmc {_fmt(c.mmc)}"
                payout = "" if c.payout is None else f" payout {c.payout:+.4f}"
                cells.append(f"{c.submission}{score}{payout}")
            rows.append([str(r.number), r.state, _when(r.close_time), *cells])
        sections.append(
            "<h2>Recent rounds</h2>" + _table(["round", "state", "closes", *names], rows)
        )
        if report.stakes:
            sections.append(
                "<h2>Stake decisions</h2>"
                + _table(
                    ["time", "model", "action", "amount", "stake after", "mode", "reason"],
                    [
                        [
                            _when(s.at),
                            s.model,
                            s.action,
                            str(s.amount),
                            str(s.stake_after),
                            "dry run" if s.dry_run else ("failed" if s.error else "done"),
                            s.reason,
                        ]
                        for s in report.stakes
                    ],
                )
            )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}"
        "th{background:#f4f4f4}.muted{color:#777}svg text{font-size:12px;fill:#444}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>numerpilot status</title><style>{style}</style></head><body>"
        + "".join(sections)
        + "</body></html>\n"
    )


__all__ = [
    "DASHBOARD_FILE",
    "EMPTY_MESSAGE",
    "StatusResult",
    "collect_status",
    "render_dashboard",
    "status",
]
