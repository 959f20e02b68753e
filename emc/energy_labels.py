"""The energy carriers' names: English msgids, translated per reader (pages: gettext through
the ``carrier_label`` template global; PDFs and exports: :func:`emc.i18n.translate`).

Kept apart from :mod:`emc.energy`, the pure core, which knows no catalogue.
"""

from __future__ import annotations

from emc.energy import Carrier
from emc.i18n import N_

CARRIER_LABELS = {
    Carrier.ELECTRICITY: N_("Electricity"),
    Carrier.NATURAL_GAS: N_("Natural gas"),
    Carrier.DISTRICT_HEAT: N_("District heat"),
    Carrier.COAL: N_("Raw coal"),
    Carrier.DIESEL: N_("Diesel"),
    Carrier.GASOLINE: N_("Gasoline"),
    Carrier.LPG: N_("LPG"),
    Carrier.FUEL_OIL: N_("Fuel oil"),
    Carrier.WATER: N_("Water"),
    Carrier.PV_GENERATION: N_("On-site PV generation"),
}
