"""Strict parsing of AVRecords' environment variables (documented in docs/configuration.md)."""

import os
import secrets
from pathlib import Path


class ConfigError(Exception):
    """An environment variable holds a value AVRecords cannot use."""


def env_str(name: str, default: str) -> str:
    """An empty value counts as unset (as for every AVRECORDS_* variable)."""
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean (1/0/true/false), got {raw!r}")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_list(name: str, default: list[str], sep: str = ",") -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(sep) if item.strip()]


def env_patterns(name: str, required_groups: set[str]) -> list[str]:
    """Regular expressions, one per line, each with the named groups the caller needs."""
    import re

    patterns = env_list(name, [], sep="\n")
    for pattern in patterns:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{name}: {pattern!r} is not a regular expression: {exc}") from exc
        missing = required_groups - set(regex.groupindex)
        if missing:
            raise ConfigError(f"{name}: {pattern!r} lacks the groups {sorted(missing)}")
    return patterns


TWO_FACTOR_ROLES_FILE = "two_factor_roles"
NOBODY = "none"


def two_factor_roles(home: Path, default: list[str], known: tuple[str, ...]) -> list[str]:
    """AVRECORDS_TWO_FACTOR_ROLES: role codes, comma-separated, or `none` for nobody (issue 18
    §5). Unset (or empty), the installation's own choice in AVRECORDS_HOME/two_factor_roles
    (the file `avrecords demo` writes, so a demo is one sign-in away), else `default`."""
    name = "AVRECORDS_TWO_FACTOR_ROLES"
    raw = os.environ.get(name, "").strip()
    if raw:
        source = name
    elif (home / TWO_FACTOR_ROLES_FILE).is_file():
        source = str(home / TWO_FACTOR_ROLES_FILE)
        raw = (home / TWO_FACTOR_ROLES_FILE).read_text(encoding="utf-8").strip()
    else:
        return list(default)
    if raw.lower() == NOBODY:
        return []
    roles = [item.strip() for item in raw.split(",") if item.strip()]
    unknown = [role for role in roles if role not in known] or ([] if roles else [raw])
    if unknown:
        raise ConfigError(
            f"{source}: unknown role code(s) {', '.join(map(repr, unknown))}; use a comma-"
            f"separated list of {', '.join(known)}, or {NOBODY} "
            f"（双因素登录的角色代码无效：{'、'.join(unknown)}）"
        )
    return roles


def home_dir() -> Path:
    """The AVRECORDS_HOME directory (database, store, queue); created on demand."""
    home = Path(env_str("AVRECORDS_HOME", "./var")).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def secret_key(home: Path) -> str:
    """AVRECORDS_SECRET_KEY, else a key generated once and kept in AVRECORDS_HOME."""
    explicit = os.environ.get("AVRECORDS_SECRET_KEY")
    if explicit:
        return explicit
    key_file = home / "secret_key"
    if not key_file.exists():
        tmp = key_file.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50))
        os.chmod(tmp, 0o600)
        os.replace(tmp, key_file)
    return key_file.read_text().strip()
