"""Presentation: the HTML pages (validation report, dashboard), their one chart module and
their one visual style. Pure rendering: values in, HTML out. The dashboard's web app
(``report.app``, Starlette) serves what its caller loads; it is imported only by the command
that serves it."""

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
from numerpilot.report.validation import Report, ReportColumn, Stat, render_report, report_column

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
