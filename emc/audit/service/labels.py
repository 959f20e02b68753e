"""English msgids of the audit's enumerations, translated per reader (pages: gettext; PDF:
:func:`emc.i18n.translate`). The carriers' names are :data:`emc.energy_labels.CARRIER_LABELS`."""

from __future__ import annotations

from emc.audit.models import AuditStatus, EcmStatus
from emc.contracts.finance import ContractType
from emc.facilities.models import BuildingType
from emc.i18n import N_

CATEGORY_LABELS = {
    "lighting": N_("Lighting"),
    "hvac": N_("HVAC"),
    "heat_pump": N_("Heat pump"),
    "envelope": N_("Building envelope"),
    "pv": N_("Photovoltaics"),
    "controls": N_("Controls"),
    "kitchen_electrification": N_("Kitchen electrification"),
    "data_centre": N_("Data centre"),
    "other": N_("Other measure"),
}
STATUS_LABELS = {
    AuditStatus.DRAFT: N_("Draft"),
    AuditStatus.SUBMITTED: N_("Submitted"),
    AuditStatus.ACCEPTED: N_("Accepted"),
    AuditStatus.RETURNED: N_("Returned"),
}
ECM_STATUS_LABELS = {
    EcmStatus.PROPOSED: N_("Proposed"),
    EcmStatus.ACCEPTED: N_("Accepted"),
    EcmStatus.IMPLEMENTED: N_("Implemented"),
    EcmStatus.DISCARDED: N_("Discarded"),
}
CONTRACT_LABELS = {
    ContractType.SHARED_SAVINGS: N_("Shared savings"),
    ContractType.GUARANTEED_SAVINGS: N_("Guaranteed savings"),
    ContractType.ENERGY_COST_CUSTODY: N_("Energy-cost custody"),
    ContractType.FINANCE_LEASE: N_("Finance lease"),
    ContractType.HYBRID: N_("Hybrid"),
}
LEVEL_LABELS = {
    1: N_("Level 1: walk-through"),
    2: N_("Level 2: survey and analysis"),
    3: N_("Level 3: detailed"),
}
QUOTA_LEVEL_LABELS = {
    "above_constraint": N_("above the constraint value (约束值)"),
    "above_baseline": N_("above the baseline value (基准值)"),
    "within_baseline": N_("within the baseline value (基准值)"),
    "meets_guide": N_("meets the guide value (引导值)"),
}
FLAG_LABELS = {
    "above_baseline_over_500_tce": N_(
        "Energy use is above the quota's baseline value and over 500 tce a year: a candidate "
        "for energy-cost custody."
    ),
    "data_centre_pue_over_1_4": N_(
        "A data centre runs at a PUE above 1.4: a candidate for energy-cost custody."
    ),
}
END_USE_LABELS = {
    "lighting_sockets": N_("Lighting and sockets"),
    "hvac": N_("HVAC"),
    "power": N_("Power"),
    "special": N_("Special uses"),
}
BUILDING_TYPE_LABELS = {
    BuildingType.OFFICE: N_("Office"),
    BuildingType.SCHOOL: N_("School"),
    BuildingType.UNIVERSITY: N_("University"),
    BuildingType.HOSPITAL: N_("Hospital"),
    BuildingType.CULTURE: N_("Culture"),
    BuildingType.SPORTS: N_("Sports"),
    BuildingType.RESEARCH: N_("Research"),
    BuildingType.DORMITORY: N_("Dormitory"),
    BuildingType.DATA_CENTER: N_("Data centre"),
    BuildingType.OTHER: N_("Other"),
}
