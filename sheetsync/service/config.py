"""The service's TOML config: validated, unknown keys refused with the allowed ones.

Tokens are never in the file: each account names the environment variable that holds its
token (`token_env`), read when the service starts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..client import DEFAULT_BASE_URL
from ..errors import ConfigError

TOP_KEYS = {
    "interval": "seconds between cycles (default 60)",
    "refresh_interval": "seconds between status refreshes of sheets with unfinished tasks (default 600)",
    "full_pass_interval": "seconds between backstop reads of every sheet (default 3600)",
    "state": "path of the state database (default: beside the config)",
    "notify": "list of apprise URLs for digests",
    "notify_credits_below": "credits under which an account's digest warns",
    "history_lines": "lines kept on each sheet's History tab (default 100)",
    "accounts": "[accounts.NAME] tables",
    "sheets": "[[sheets]] entries",
}
ACCOUNT_KEYS = ("token_env", "api_url", "monthly_budget", "rate_limit")
SHEET_KEYS = ("sheet", "account", "worksheet", "credentials", "client", "approve_above", "sandbox")


@dataclass(frozen=True)
class Account:
    """A BacklinkBase account; its token is in the environment variable `token_env`."""

    name: str
    token_env: str
    api_url: str = DEFAULT_BASE_URL
    monthly_budget: int | None = None
    rate_limit: int = 60

    def token(self, env: Mapping[str, str]) -> str:
        """The token from the environment; ConfigError naming the variable when it is unset."""
        token = env.get(self.token_env, "").strip()
        if not token:
            raise ConfigError(
                f"Account {self.name}: the environment variable {self.token_env} is not set; "
                f"export {self.token_env}=<the account's API token> before starting the service."
            )
        return token


@dataclass(frozen=True)
class SheetSpec:
    """One sheet the service follows."""

    sheet: str
    account: str
    worksheet: str | None = None
    credentials: str | None = None
    client: str = ""
    approve_above: int | None = None
    sandbox: bool = False

    @property
    def id(self) -> str:
        """A stable name for the state database: the sheet as written, plus the tab."""
        return self.sheet.strip() + (f"#{self.worksheet}" if self.worksheet else "")

    @property
    def label(self) -> str:
        """What people call it in reports: the client, else the sheet."""
        tab = f" ({self.worksheet})" if self.worksheet else ""
        return (self.client or self.sheet.strip()) + tab

    @property
    def is_google(self) -> bool:
        return not self.sheet.strip().lower().endswith((".xlsx", ".xlsm"))


@dataclass(frozen=True)
class ServiceConfig:
    """Everything `sheetsync serve` needs besides the environment."""

    path: Path
    accounts: dict[str, Account]
    sheets: tuple[SheetSpec, ...]
    interval: float = 60.0
    refresh_interval: float = 600.0
    full_pass_interval: float = 3600.0
    state: Path = field(default=Path("service.sqlite3"))
    notify: tuple[str, ...] = ()
    notify_credits_below: int | None = None
    history_lines: int = 100


def _refuse_unknown(table: Mapping[str, Any], allowed: Any, where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        extra = ""
        if "token" in unknown or "api_token" in unknown:
            extra = " A token never goes in the file: put it in an environment variable and name it with token_env."
        raise ConfigError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}.{extra}"
        )


def _number(value: Any, where: str, *, minimum: float, integer: bool = False) -> Any:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        what = "a whole number" if integer else "a number"
        raise ConfigError(f"{where} must be {what} of at least {minimum:g}, not {value!r}.")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string, not {value!r}.")
    return value.strip()


def load_config(path: str | Path) -> ServiceConfig:
    """Read and check the config at `path`; ConfigError says what is wrong and where."""
    path = Path(path).expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"No config file at {path}; write one (see README, 'The service').") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix the line it names.") from None
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path) -> ServiceConfig:
    """Check an already parsed TOML document (see `load_config`)."""
    name = path.name
    _refuse_unknown(data, tuple(TOP_KEYS), name)
    raw_accounts = data.get("accounts") or {}
    if not isinstance(raw_accounts, dict) or not raw_accounts:
        raise ConfigError(f"{name}: no [accounts.NAME] table; add one with token_env = \"MY_TOKEN_VARIABLE\".")
    accounts: dict[str, Account] = {}
    for acc_name, acc in raw_accounts.items():
        where = f"{name} [accounts.{acc_name}]"
        if not isinstance(acc, dict):
            raise ConfigError(f"{where} must be a table with token_env = \"...\".")
        _refuse_unknown(acc, ACCOUNT_KEYS, where)
        if "token_env" not in acc:
            raise ConfigError(f"{where} has no token_env; name the environment variable that holds its token.")
        budget = acc.get("monthly_budget")
        accounts[acc_name] = Account(
            name=acc_name,
            token_env=_text(acc["token_env"], f"{where} token_env"),
            api_url=_text(acc.get("api_url", DEFAULT_BASE_URL), f"{where} api_url"),
            monthly_budget=None if budget is None else _number(budget, f"{where} monthly_budget", minimum=0, integer=True),
            rate_limit=_number(acc.get("rate_limit", 60), f"{where} rate_limit", minimum=0, integer=True),
        )
    raw_sheets = data.get("sheets") or []
    if not isinstance(raw_sheets, list) or not raw_sheets:
        raise ConfigError(f"{name}: no [[sheets]] entry; add one with sheet = \"...\" and account = \"...\".")
    sheets: list[SheetSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_sheets, 1):
        where = f"{name} [[sheets]] #{i}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} must be a table.")
        _refuse_unknown(raw, SHEET_KEYS, where)
        sheet = _text(raw.get("sheet"), f"{where} sheet")
        account = _text(raw.get("account"), f"{where} account")
        if account not in accounts:
            raise ConfigError(f"{where} names account {account!r}, which has no [accounts.{account}] table; known: {', '.join(accounts)}.")
        above = raw.get("approve_above")
        sandbox = raw.get("sandbox", False)
        if not isinstance(sandbox, bool):
            raise ConfigError(f"{where} sandbox must be true or false, not {sandbox!r}.")
        credentials = raw.get("credentials")
        is_xlsx = sheet.lower().endswith((".xlsx", ".xlsm"))
        if is_xlsx:
            sheet = str((path.parent / Path(sheet).expanduser()).resolve())
        spec = SheetSpec(
            sheet=sheet,
            account=account,
            worksheet=_text(raw["worksheet"], f"{where} worksheet") if "worksheet" in raw else None,
            credentials=str(Path(_text(credentials, f"{where} credentials")).expanduser()) if credentials else None,
            client=_text(raw["client"], f"{where} client") if "client" in raw else "",
            approve_above=None if above is None else _number(above, f"{where} approve_above", minimum=0, integer=True),
            sandbox=sandbox,
        )
        if spec.id in seen:
            raise ConfigError(f"{where} repeats the sheet of [[sheets]] #{seen[spec.id]}; keep one of them.")
        seen[spec.id] = i
        sheets.append(spec)
    notify = data.get("notify", [])
    if isinstance(notify, str):
        notify = [notify]
    if not isinstance(notify, list) or not all(isinstance(u, str) and u.strip() for u in notify):
        raise ConfigError(f"{name}: notify must be a list of apprise URLs, such as [\"mailto://user:pass@example.com\"].")
    below = data.get("notify_credits_below")
    state = Path(str(data.get("state", path.with_suffix(".state.sqlite3")))).expanduser()
    return ServiceConfig(
        path=path.resolve(),
        accounts=accounts,
        sheets=tuple(sheets),
        interval=float(_number(data.get("interval", 60), f"{name} interval", minimum=1)),
        refresh_interval=float(_number(data.get("refresh_interval", 600), f"{name} refresh_interval", minimum=1)),
        full_pass_interval=float(_number(data.get("full_pass_interval", 3600), f"{name} full_pass_interval", minimum=1)),
        state=state if state.is_absolute() else (path.parent / state).resolve(),
        notify=tuple(u.strip() for u in notify),
        notify_credits_below=None if below is None else _number(below, f"{name} notify_credits_below", minimum=0, integer=True),
        history_lines=_number(data.get("history_lines", 100), f"{name} history_lines", minimum=1, integer=True),
    )
