"""The computations behind baselines and reports, from stored data (no permission checks here:
the use cases in :mod:`..baselines` and :mod:`..reports` check first, then call these).

Per meter of the boundary: load :class:`~emc.mv.data.DailyInputs`, fit or evaluate with the
engine, and keep JSON-safe results. Money is valued at the contract price of the contract year
of each month (``base × (1 + escalation)^(year − 1)``, exact) and rounded to the fen once per
month and carrier with the finance core's :func:`~emc.contracts.finance.round_fen`.

Modules by topic: :mod:`.common` (constants, the G14 verdict, the boundary), :mod:`.baseline`
(fitting), :mod:`.hourly` (TOWT), :mod:`.option_a`, :mod:`.option_d`, :mod:`.report`
(savings, valuation, accounting), :mod:`.rolling` (the rolling twelve-month view),
:mod:`.simulation_file` (option D uploads).
"""

from emc.mv.service.compute import sufficiency
from emc.mv.service.compute.baseline import baseline_inputs, fit_baseline
from emc.mv.service.compute.common import (
    COMPUTED_METHODS,
    COMPUTED_OPTIONS,
    ENERGY_PLACES,
    OPTION_A_PARAMETERS,
    OPTION_A_SCHEMA,
    OPTION_D_SCHEMA,
    TONNE_PLACES,
    BoundaryMeter,
    acceptance_of,
    boundary,
    is_hourly,
    is_option_a,
    is_option_d,
    verdict,
)
from emc.mv.service.compute.hourly import hourly_savings
from emc.mv.service.compute.option_a import measurements_of, option_a_savings
from emc.mv.service.compute.option_d import parse_simulation_csv
from emc.mv.service.compute.report import (
    ReportFigures,
    compute_report,
    contract_terms,
    report_fingerprint,
    report_inputs,
)
from emc.mv.service.compute.rolling import group_by_meter, rolling_view

__all__ = [
    "sufficiency",
    "COMPUTED_METHODS",
    "COMPUTED_OPTIONS",
    "ENERGY_PLACES",
    "OPTION_A_PARAMETERS",
    "OPTION_A_SCHEMA",
    "OPTION_D_SCHEMA",
    "TONNE_PLACES",
    "BoundaryMeter",
    "ReportFigures",
    "acceptance_of",
    "baseline_inputs",
    "boundary",
    "compute_report",
    "contract_terms",
    "fit_baseline",
    "group_by_meter",
    "hourly_savings",
    "is_hourly",
    "is_option_a",
    "is_option_d",
    "measurements_of",
    "option_a_savings",
    "parse_simulation_csv",
    "report_fingerprint",
    "report_inputs",
    "rolling_view",
    "verdict",
]
