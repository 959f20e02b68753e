"""The energy carriers' names: English msgids, translated per reader (pages: gettext through
the ``carrier_label`` template global; PDFs and exports: :func:`emc.i18n.translate`).

Kept apart from :mod:`emc.energy`, the pure core, which knows no catalogue.
"""

from __future__ import annotations

from emc.energy import Carrier
from emc.messages import CARRIER

# One list of names (emc.messages.CARRIER): the core's sentences say carriers by the same words.
CARRIER_LABELS = {Carrier(value): name for value, name in CARRIER.items()}
