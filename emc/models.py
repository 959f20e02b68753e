"""Import every domain's models so that ``Base.metadata`` is complete (Alembic, tests)."""

from emc import (
    journal,  # noqa: F401
    scheduler,  # noqa: F401
)
from emc.audit import models as audit_models  # noqa: F401
from emc.auth import models as auth_models  # noqa: F401
from emc.calendars import models as calendar_models  # noqa: F401
from emc.contracts import models as contracts_models  # noqa: F401
from emc.facilities import models as facilities_models  # noqa: F401
from emc.mv import models as mv_models  # noqa: F401
from emc.notifications import models as notification_models  # noqa: F401
from emc.programme import models as programme_models  # noqa: F401
from emc.watch import models as watch_models  # noqa: F401
