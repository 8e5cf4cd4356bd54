"""The one-page report (``liftos report``): the latest model's channel effects with intervals, the
attribution waterfall, response curves, reported vs incremental ROAS, a data-quality summary and the
model's metadata, as one self-contained HTML file (inline CSS, charts as inline PNGs, no script).

- :mod:`liftos.report.report_data`: warehouse queries → frozen dataclasses.
- :mod:`liftos.report.curves`: response curves (refit on the warehouse panel, or derived for display).
- :mod:`liftos.report.charts`: matplotlib figures → ``data:`` PNG URIs.
- :mod:`liftos.report.render`: the HTML page.
"""

from liftos.report.build import ReportData, load_report, write_report
from liftos.report.report_data import NoModelError

__all__ = ["NoModelError", "ReportData", "load_report", "write_report"]
