"""Presentation: the HTML pages (validation report, dashboard), their one chart module and
their one visual style. Pure rendering: values in, HTML out. The dashboard's web app
(``report.app``, Starlette) serves what its caller loads; it is imported only by the command
that serves it. The validation page (numpy, pandas via the scorecard) is imported on first use
of its names: the dashboard, which ``status`` renders, does not need it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from numerpilot.report.dashboard import EMPTY_MESSAGE, render_dashboard
from numerpilot.report.dashboard_view import (
    SUBMISSION_STATES,
    CurrentRound,
    DashboardView,
    Link,
    ModelView,
    RoundView,
    StakeView,
)

if TYPE_CHECKING:
    from numerpilot.report.validation import (
        Report,
        ReportColumn,
        Stat,
        render_report,
        report_column,
    )

_VALIDATION = {"Report", "ReportColumn", "Stat", "render_report", "report_column"}


def __getattr__(name: str) -> Any:
    if name in _VALIDATION:
        from numerpilot.report import validation

        return getattr(validation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EMPTY_MESSAGE",
    "SUBMISSION_STATES",
    "CurrentRound",
    "DashboardView",
    "Link",
    "ModelView",
    "Report",
    "ReportColumn",
    "RoundView",
    "StakeView",
    "Stat",
    "render_dashboard",
    "render_report",
    "report_column",
]
