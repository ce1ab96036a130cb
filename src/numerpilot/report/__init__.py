"""Presentation: the HTML pages (validation report, dashboard), their one chart module and
their one visual style. Pure rendering: values in, HTML out.

This face is what other packages import; the modules behind it are private. It stays cheap:
the dashboard (which ``status`` renders) loads eagerly; the validation page (numpy, pandas via
the scorecard) and the dashboard's web app (Starlette) load on first use of their names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face
from numerpilot.report._charts import fmt
from numerpilot.report._dashboard import EMPTY_MESSAGE, render_dashboard
from numerpilot.report._view import (
    SUBMISSION_STATES,
    CurrentRound,
    DashboardView,
    Link,
    ModelView,
    RoundView,
    StakeView,
)

if TYPE_CHECKING:
    from numerpilot.report._app import REPORTS_PREFIX, bind, create_app
    from numerpilot.report._validation import (
        Report,
        ReportColumn,
        Stat,
        render_report,
        report_column,
    )

_WHERE = {
    "Report": "_validation",
    "ReportColumn": "_validation",
    "Stat": "_validation",
    "render_report": "_validation",
    "report_column": "_validation",
    "REPORTS_PREFIX": "_app",
    "bind": "_app",
    "create_app": "_app",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=False)


__all__ = [
    "EMPTY_MESSAGE",
    "REPORTS_PREFIX",
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
    "bind",
    "create_app",
    "fmt",
    "render_dashboard",
    "render_report",
    "report_column",
]
