"""Settings: platform names, SMTP relay, DNS and the database URL.

Values come from, in order of precedence: command-line options (applied by
the caller), `MAILROOM_*` environment variables, the TOML settings file, and
the defaults below, which work on one machine with no settings at all.
"""

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from store.errors import InvalidInput

APP_NAME = "mailroom"

Section = TypeVar("Section")


@dataclass(frozen=True)
class PlatformSettings:
    """Names of the platform that tenants' mail and DNS records refer to."""

    name: str = "Platform"
    domain: str = "platform.example"
    default_from: str = "notification-service@platform.example"
    bounce_host: str = "bounces.platform.example"
    bounce_label: str = "bounces"
    dkim_selector: str = "mailroom"
    ownership_label: str = "_mailroom-verify"
    # Hours a sender may stay pending_dns or degraded before it is failed.
    pending_timeout_hours: float = 72.0


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP relay that delivers the outbox."""

    host: str = "127.0.0.1"
    port: int = 25
    tls: str = "none"  # "starttls", "tls" or "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ca_file: str | None = None


@dataclass(frozen=True)
class DnsSettings:
    """Where and how long DNS checks ask."""

    # Empty means the system's resolvers from /etc/resolv.conf.
    nameservers: tuple[str, ...] = ()
    port: int = 53
    timeout: float = 2.0
    lifetime: float = 6.0
    retries: int = 2


@dataclass(frozen=True)
class Settings:
    """Every setting Mailroom reads, loaded once and passed in."""

    database_url: str | None = None
    platform: PlatformSettings = field(default_factory=PlatformSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    dns: DnsSettings = field(default_factory=DnsSettings)

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to SQLite in the user's data folder."""
        if self.database_url:
            return self.database_url
        from platformdirs import user_data_path

        folder = user_data_path(APP_NAME, appauthor=False, ensure_exists=True)
        return f"sqlite:///{folder / 'mailroom.db'}"


def settings_path(environ: dict[str, str]) -> Path:
    """Return where the settings file is read from."""
    if "MAILROOM_SETTINGS" in environ:
        return Path(environ["MAILROOM_SETTINGS"])
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "settings.toml"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings file and the environment into one `Settings`."""
    environ = dict(os.environ if environ is None else environ)
    path = settings_path(environ)
    data = _read_toml(path) if path.exists() else {}
    if "password" in data.get("smtp", {}):
        raise InvalidInput(
            f"{path} sets [smtp] password; settings files get copied and read "
            "by others, so remove it and set MAILROOM_SMTP_PASSWORD instead"
        )

    database = data.get("database", {})
    settings = Settings(
        database_url=environ.get("MAILROOM_DATABASE_URL") or database.get("url"),
        platform=_section(
            PlatformSettings, data.get("platform", {}), environ, "PLATFORM", path
        ),
        smtp=_section(SmtpSettings, data.get("smtp", {}), environ, "SMTP", path),
        dns=_section(DnsSettings, data.get("dns", {}), environ, "DNS", path),
    )
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"settings file {path} is not valid TOML: {error}") from None


def _section(
    cls: type[Section],
    table: dict[str, Any],
    environ: dict[str, str],
    prefix: str,
    path: Path,
) -> Section:
    """Build one settings section from its TOML table and `MAILROOM_<PREFIX>_*`."""
    defaults = cls()
    values: dict[str, Any] = {}
    for item in fields(cls):  # type: ignore[arg-type]
        variable = f"MAILROOM_{prefix}_{item.name.upper()}"
        if variable in environ:
            raw: Any = environ[variable]
            source = f"environment variable {variable}"
        elif item.name in table:
            raw = table[item.name]
            source = f"[{prefix.lower()}] {item.name} in {path}"
        else:
            continue
        values[item.name] = _convert(
            raw, type(getattr(defaults, item.name)), item.name, source
        )
    return replace(defaults, **values)  # type: ignore[type-var]


def _convert(raw: Any, kind: type, name: str, source: str) -> Any:
    """Convert a TOML or environment value to the type of its default."""
    try:
        if kind is tuple:
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if kind is bool:
            return str(raw).lower() in {"1", "true", "yes", "on"}
        if kind in (int, float):
            return kind(raw)
        return str(raw) if raw is not None else None
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{source}: {raw!r} is not a valid {kind.__name__} for {name}"
        ) from None
