"""The savings watch's use cases (see the modules): the nightly tracking, suspected events,
warnings, the quota forecast and the savings at risk from missing data."""

from emc.watch.service.at_risk import carry_onto_lines, savings_at_risk
from emc.watch.service.common import project_for, settings_of
from emc.watch.service.events import (
    acknowledge_warning,
    convert_event,
    dismiss_event,
    draft_for,
    estimated_effect,
    get_event,
    list_events,
    open_events_in,
)
from emc.watch.service.nightly import run_nightly, scan_baseline

__all__ = [
    "acknowledge_warning",
    "carry_onto_lines",
    "convert_event",
    "dismiss_event",
    "draft_for",
    "estimated_effect",
    "get_event",
    "list_events",
    "open_events_in",
    "project_for",
    "run_nightly",
    "savings_at_risk",
    "scan_baseline",
    "settings_of",
]
