"""Pages of the M&V workflow: the project's M&V tab (plan, baselines, measurements, reports),
the baseline page (statistics and an inline SVG chart of observed vs modelled daily use), the
report page (monthly table, adjustments, version history) and the forms of every action.

:mod:`.common` holds the blueprint, labels, the chart and shared helpers; the routes are in
:mod:`.project`, :mod:`.baselines` and :mod:`.reports` (imported here to register them).
"""

from emc.mv.views import baselines, project, reports  # noqa: F401 (registers the routes)
from emc.mv.views.common import bp, svg_chart

__all__ = ["bp", "svg_chart"]
