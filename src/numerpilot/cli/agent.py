"""Autopilot commands: ``status`` (``run`` and ``demo`` join it)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from numerpilot.agent.dashboard import EMPTY_MESSAGE, StatusResult
from numerpilot.agent.dashboard import status as collect
from numerpilot.cli._common import JsonOption, err, out, print_json, state
from numerpilot.clock import SystemClock


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:+.4f}"


def _render(result: StatusResult) -> None:
    report = result.report
    if report.empty:
        out.print(EMPTY_MESSAGE)
        return
    models = Table(
        "model",
        "confirmed",
        "missed",
        "failed",
        "resolved",
        "mean corr",
        "mean mmc",
        "payout NMR",
        "last stake decision",
        title="Models",
    )
    for m in report.models:
        stake = "–"
        if m.last_stake is not None:
            mode = "dry run" if m.last_stake.dry_run else "done"
            stake = f"{m.last_stake.action} {m.last_stake.amount} ({mode}): {m.last_stake.reason}"
        models.add_row(
            m.model,
            str(m.confirmed),
            str(m.missed),
            str(m.failed),
            str(m.resolved_rounds),
            _num(m.mean_corr),
            _num(m.mean_mmc),
            f"{m.total_payout:+.4f}",
            stake,
        )
    out.print(models)
    names = [m.model for m in report.models]
    rounds = Table("round", "state", "closes (UTC)", *names, title="Recent rounds")
    style = {
        "confirmed": "green",
        "pending": "yellow",
        "missed": "red",
        "failed": "red",
        "rejected": "red",
        "none": "dim",
    }
    for r in report.rounds:
        cells = []
        for name in names:
            c = r.models[name]
            text = f"[{style.get(c.submission, '')}]{c.submission}[/]"
            if c.corr is not None or c.payout is not None:
                text += f" corr {_num(c.corr)} mmc {_num(c.mmc)}"
            if c.payout is not None:
                text += f" payout {c.payout:+.4f}"
            cells.append(text)
        rounds.add_row(str(r.number), r.state, r.close_time.strftime("%Y-%m-%d %H:%M"), *cells)
    out.print(rounds)
    if report.stakes:
        stakes = Table(
            "time (UTC)",
            "model",
            "action",
            "amount",
            "stake after",
            "mode",
            "reason",
            title="Stake decisions",
        )
        for s in report.stakes:
            mode = "dry run" if s.dry_run else ("failed" if s.error else "done")
            stakes.add_row(
                s.at.strftime("%Y-%m-%d %H:%M"),
                s.model,
                s.action,
                str(s.amount),
                str(s.stake_after),
                mode,
                s.reason,
            )
        out.print(stakes)


def status(
    ctx: typer.Context,
    json: JsonOption = False,
    rounds: Annotated[int, typer.Option(min=1, help="How many recent rounds to show.")] = 10,
) -> None:
    """Rounds, submissions, scores, payouts and stakes from the ledger; writes the dashboard."""
    settings = state(ctx).settings()
    result = collect(settings, SystemClock(), recent_rounds=rounds)
    if json:
        print_json(
            {
                **result.report.as_dict(),
                "dashboard": result.dashboard,
                "ledger": result.ledger,
                "ledger_found": result.ledger_found,
            }
        )
    else:
        _render(result)
    if not result.ledger_found:
        err.print(f"no ledger at {result.ledger} yet")
    err.print(f"dashboard: {result.dashboard}")


def register(app: typer.Typer) -> None:
    app.command()(status)
