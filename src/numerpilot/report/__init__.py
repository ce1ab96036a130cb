"""Presentation: the HTML pages (validation report, dashboard), their one chart module and
their one visual style. Pure rendering: values in, HTML out; the dashboard's web app serves
what its caller loads."""

from numerpilot.report.validation import Report, ReportColumn, Stat, render_report, report_column

__all__ = ["Report", "ReportColumn", "Stat", "render_report", "report_column"]
