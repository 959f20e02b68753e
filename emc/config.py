"""Settings: one frozen object, read from ``EMC_*`` environment variables, checked at start-up.

``Settings.from_env()`` fails fast and names *every* bad variable at once, so an operator fixes a
deployment in one pass instead of one error per restart.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_INSTANCE_DIR = Path.cwd() / "instance"


class SettingsError(ValueError):
    """One or more ``EMC_*`` variables are wrong; ``problems`` maps variable → message."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        lines = "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
        super().__init__(f"bad settings: {lines}")


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    timezone: str = "Asia/Shanghai"
    instance_path: Path = field(default_factory=lambda: DEFAULT_INSTANCE_DIR)
    default_locale: str = "zh_CN"
    # Failed logins allowed per client address before the login form refuses for a while.
    login_rate_limit: str = "5 per minute"
    # Failed logins allowed per account (whatever the address) before its login is refused
    # until the window ends; attempts spread over many addresses are caught here.
    login_account_rate_limit: str = "10 per 15 minutes"
    # "production" refuses the public demo password (EMC_ENV).
    env: str = "development"
    session_cookie_secure: bool = False
    max_upload_mb: int = 200
    # Database connections each process keeps open (EMC_DB_POOL_SIZE). `emc serve` sizes it to
    # its threads unless set: a thread that finds the pool empty opens a connection and closes
    # it again afterwards, which under load costs more than the request.
    db_pool_size: int = 10
    smtp_url: str | None = None
    testing: bool = False

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, instance_path: Path | None = None
    ) -> Settings:
        """Build settings from ``EMC_*`` variables.

        ``EMC_DATABASE_URL`` defaults to ``sqlite:///<instance>/emc.sqlite3``; ``EMC_SECRET_KEY``,
        when unset, is generated once into ``<instance>/secret_key`` and reused afterwards.

        Raises:
            SettingsError: naming every variable that is present but invalid.
        """
        env = os.environ if environ is None else environ
        instance = Path(env.get("EMC_INSTANCE_PATH") or instance_path or DEFAULT_INSTANCE_DIR)
        problems: dict[str, str] = {}

        url = env.get("EMC_DATABASE_URL") or f"sqlite:///{instance / 'emc.sqlite3'}"
        if not url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            problems["EMC_DATABASE_URL"] = "must be a sqlite:// or postgresql:// URL"
        url = normalise_database_url(url)

        tz = env.get("EMC_TIMEZONE", "Asia/Shanghai")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            problems["EMC_TIMEZONE"] = f"unknown IANA time zone {tz!r}"

        locale = env.get("EMC_DEFAULT_LOCALE", "zh_CN")
        if locale not in ("zh_CN", "en"):
            problems["EMC_DEFAULT_LOCALE"] = "must be zh_CN or en"

        max_upload = env.get("EMC_MAX_UPLOAD_MB", "200")
        if not max_upload.isdigit() or int(max_upload) < 1:
            problems["EMC_MAX_UPLOAD_MB"] = "must be a whole number of megabytes, at least 1"

        pool_size = env.get("EMC_DB_POOL_SIZE", "10")
        if not pool_size.isdigit() or int(pool_size) < 1:
            problems["EMC_DB_POOL_SIZE"] = "must be a whole number of connections, at least 1"

        secure = env.get("EMC_SESSION_COOKIE_SECURE", "0").lower()
        if secure not in ("0", "1", "true", "false"):
            problems["EMC_SESSION_COOKIE_SECURE"] = "must be 0/1/true/false"

        smtp = env.get("EMC_SMTP_URL") or None
        if smtp and not smtp.startswith(("smtp://", "smtps://")):
            problems["EMC_SMTP_URL"] = "must start with smtp:// or smtps://"

        run_env = env.get("EMC_ENV", "development").strip().lower()
        if run_env not in ("development", "production", "test"):
            problems["EMC_ENV"] = "must be development, production or test"

        for name in ("EMC_LOGIN_RATE_LIMIT", "EMC_LOGIN_ACCOUNT_RATE_LIMIT"):
            if name in env and not _is_rate_limit(env[name]):
                problems[name] = "must read like '5 per minute' or '10 per 15 minutes'"

        secret = env.get("EMC_SECRET_KEY")
        if secret is not None and len(secret) < 16:
            problems["EMC_SECRET_KEY"] = "must be at least 16 characters"

        if problems:
            raise SettingsError(problems)
        if secret is None:
            secret = _instance_secret(instance)
        return cls(
            database_url=url,
            secret_key=secret,
            timezone=tz,
            instance_path=instance,
            default_locale=locale,
            login_rate_limit=env.get("EMC_LOGIN_RATE_LIMIT", "5 per minute"),
            login_account_rate_limit=env.get("EMC_LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes"),
            env=run_env,
            session_cookie_secure=secure in ("1", "true"),
            max_upload_mb=int(max_upload),
            db_pool_size=int(pool_size),
            smtp_url=smtp,
        )

    def replace(self, **changes) -> Settings:
        return replace(self, **changes)


def _is_rate_limit(value: str) -> bool:
    from limits import parse_many

    try:
        return bool(parse_many(value))
    except ValueError:
        return False


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or omits)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _instance_secret(instance: Path) -> str:
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
