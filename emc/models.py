"""Import every domain's models so that ``Base.metadata`` is complete (Alembic, tests)."""

from emc import journal  # noqa: F401
from emc.auth import models as auth_models  # noqa: F401
