"""Settings: command-line flags > environment > `sheetsync.toml` in the working folder > defaults.

`load_settings` is the one place that knows the precedence. It reads the environment and the
folder it is given (both injectable), so tests never touch the real ones.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_API_URL = "https://backlinkbase.com/api/v1/"
CONFIG_FILE = "sheetsync.toml"
TOKEN_ENV = "BACKLINKBASE_API_TOKEN"


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run. The token is kept out of repr and str."""

    api_token: str | None = None
    api_url: str = DEFAULT_API_URL
    rate_limit: int = 60
    timeout: float = 30.0
    max_credits: int | None = None
    batch_size: int = 20
    worksheet: str | None = None
    credentials: str | None = None
    state_dir: str | None = None
    machine: str | None = None

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={'<hidden>' if f.name == 'api_token' and self.api_token else repr(getattr(self, f.name))}"
            for f in fields(self)
        )
        return f"Settings({shown})"

    __str__ = __repr__

    def require_token(self) -> str:
        """The API token, or a ConfigError that says how to provide one."""
        if not self.api_token:
            raise ConfigError(
                f"No BacklinkBase API token is set; export {TOKEN_ENV}=<your token> "
                "(or run `sheetsync demo` or `sheetsync emulator` to try sheetsync without one)."
            )
        return self.api_token

    def public_dict(self) -> dict[str, Any]:
        """Settings for display and --json output, with the token reduced to set/unset."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["api_token"] = "<hidden>" if self.api_token else None
        return data


def _positive_int(value: str) -> int:
    number = int(str(value).strip())
    if number < 0:
        raise ValueError("negative")
    return number


#: The longest request timeout accepted: "inf" or "1e309" would make a request wait forever.
MAX_TIMEOUT = 3600.0


def _seconds(value: str) -> float:
    number = float(str(value).strip())
    # `nan <= 0` is False, so a plain positivity test lets NaN through: test the range instead.
    if not 0 < number <= MAX_TIMEOUT:
        raise ValueError("out of range")
    return number


def _text(value: str) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("empty")
    return text


def _url(value: str) -> str:
    text = _text(value)
    if not text.startswith(("http://", "https://")):
        raise ValueError("not an http(s) URL")
    # The client joins endpoint names onto the base URL; without the slash urljoin drops "v1".
    return text if text.endswith("/") else text + "/"


# Setting name -> (environment variable, parser, what a valid value looks like).
_SPEC: dict[str, tuple[str, Callable[[str], Any], str]] = {
    "api_token": (TOKEN_ENV, _text, "the token from your BacklinkBase account"),
    "api_url": ("BACKLINKBASE_API_URL", _url, "an http(s) URL like " + DEFAULT_API_URL),
    "rate_limit": ("SHEETSYNC_RATE_LIMIT", _positive_int, "0 or more requests per minute (0: no limit), e.g. 60"),
    "timeout": ("SHEETSYNC_TIMEOUT", _seconds, f"seconds, more than 0 and at most {MAX_TIMEOUT:g}, e.g. 30"),
    "max_credits": ("SHEETSYNC_MAX_CREDITS", _positive_int, "0 or more credits, e.g. 20"),
    "batch_size": ("SHEETSYNC_BATCH_SIZE", _positive_int, "a whole number, e.g. 20"),
    "worksheet": ("SHEETSYNC_WORKSHEET", _text, "a tab name"),
    "credentials": ("SHEETSYNC_CREDENTIALS", _text, "a path to a service account JSON file"),
    "state_dir": ("SHEETSYNC_STATE_DIR", _text, "a folder for the submission journal and locks"),
    "machine": ("SHEETSYNC_MACHINE", _text, "a name for this machine in the sheet lease, e.g. its host name"),
}
# A token in a file next to the sheet tends to end up in git or a shared drive.
_FILE_KEYS = tuple(name for name in _SPEC if name != "api_token")


def _parse(name: str, value: Any, source: str) -> Any:
    env, parser, expected = _SPEC[name]
    if name == "batch_size" and str(value).strip() == "0":
        raise ConfigError(f"{source}: batch_size must be at least 1; set it to {expected}.")
    try:
        return parser(value)
    except (TypeError, ValueError):
        shown = "<hidden>" if name == "api_token" else repr(value)
        raise ConfigError(f"{source}: {shown} is not valid for {name}; set it to {expected}.") from None


def read_config_file(folder: Path) -> dict[str, Any]:
    """Settings from `sheetsync.toml` in `folder` (empty when absent); unknown keys rejected."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix the file or remove it.") from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror}); check its permissions.") from None
    section = data.get("sheetsync", data) if isinstance(data.get("sheetsync"), dict) else data
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key == "api_token":
            raise ConfigError(
                f"{path}: api_token does not belong in a file; remove it and export {TOKEN_ENV} instead."
            )
        if key not in _FILE_KEYS:
            raise ConfigError(
                f"{path}: unknown setting {key!r}; allowed settings are {', '.join(_FILE_KEYS)}."
            )
        values[key] = _parse(key, value, str(path))
    return values


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    folder: Path | None = None,
) -> Settings:
    """Resolve settings: flags (None = not given) > environment > sheetsync.toml > defaults."""
    env = os.environ if env is None else env
    resolved: dict[str, Any] = read_config_file(Path.cwd() if folder is None else folder)
    for name, (variable, _, _) in _SPEC.items():
        raw = env.get(variable)
        if raw is not None and raw.strip() != "":
            resolved[name] = _parse(name, raw, variable)
    for name, value in (flags or {}).items():
        if name not in _SPEC:
            raise ConfigError(f"unknown setting {name!r}; allowed settings are {', '.join(_SPEC)}.")
        if value is not None:
            resolved[name] = _parse(name, value, f"--{name.replace('_', '-')}")
    return replace(Settings(), **resolved)
