"""Password rules: long enough, not the user's own details, not a common or guessable password.

Pure apart from reading ``EMC_ENV``: the strength estimate is zxcvbn's (Dropbox's estimator,
which ships frequency lists of leaked passwords, names and words, and scores keyboard patterns,
repeats and dates), with the user's e-mail, name and organisation names as extra inputs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from emc.errors import Invalid
from emc.messages import msg

MIN_PASSWORD_LENGTH = 12
# zxcvbn scores 0 (too guessable) … 4 (very unguessable); 3 is "safely unguessable"
# (about 10^8 guesses or more), the level its authors suggest for an online service.
MIN_STRENGTH_SCORE = 3
# The public demo password (emc.demo): fine on a laptop, never on a production server.
DEMO_PASSWORD = "emc-demo-2026"

TOO_SHORT = "must be at least 12 characters"
PERSONAL = "must not be your e-mail address, your name or your organisation's name"
TOO_COMMON = "is too common or too easy to guess: use a longer phrase of unrelated words"
DEMO_REFUSED = "the public demo password cannot be used in production"


def is_production() -> bool:
    """Whether this process runs as a production deployment (``EMC_ENV=production``)."""
    return os.environ.get("EMC_ENV", "development").strip().lower() == "production"


def _folded(value: str) -> str:
    return re.sub(r"\s+", "", value).casefold()


def problems(password: str, *, user_inputs: Iterable[str | None] = ()) -> list[str]:
    """What is wrong with ``password`` (English messages, translated by the web layer); empty
    when it is acceptable. ``user_inputs``: the e-mail, display name, organisation names."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [TOO_SHORT]
    if password == DEMO_PASSWORD and is_production():
        return [DEMO_REFUSED]
    inputs = [value for value in user_inputs if value]
    personal: set[str] = set()
    for value in inputs:
        personal.add(_folded(value))
        if "@" in value:
            personal.add(_folded(value.split("@", 1)[0]))
    folded = _folded(password)
    if any(
        folded == p or (len(p) >= 4 and p in folded and len(folded) - len(p) < 4) for p in personal
    ):
        return [PERSONAL]
    from zxcvbn import zxcvbn  # imported on use: it loads its word lists (~0.2 s)

    # zxcvbn's cost grows fast with length; the score of the first 100 characters is enough.
    if zxcvbn(password[:100], user_inputs=inputs)["score"] < MIN_STRENGTH_SCORE:
        return [TOO_COMMON]
    return []


def check(password: str, *, field: str = "password", user_inputs: Iterable[str | None] = ()):
    """Raise Invalid naming ``field`` when ``password`` breaks a rule (see ``problems``)."""
    found = problems(password, user_inputs=user_inputs)
    if found:
        raise Invalid(msg("auth.password_not_acceptable"), fields={field: found})
