"""Google credentials: which key or sign-in to use, and a gspread client authorized with it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["NO_CREDENTIALS", "authorize", "credentials_file", "sign_in"]

NO_CREDENTIALS = (
    "No Google credentials found: pass --credentials with the path of a service-account JSON key "
    "(or set GOOGLE_APPLICATION_CREDENTIALS), or sign in with your own account by putting an OAuth "
    "client file at ~/.config/gspread/credentials.json as gspread documents, then run again."
)


def sign_in(
    credentials: str | os.PathLike[str] | None,
    env: Mapping[str, str],
    gspread_dir: str | os.PathLike[str] | None = None,
    *,
    client: Any = None,
    timeout: float | tuple[float, float] = (10.0, 120.0),
) -> tuple[Any, str | None]:
    """(gspread client, account e-mail) for `credentials`, GOOGLE_APPLICATION_CREDENTIALS or the
    saved login; a given `client` is kept, and only the e-mail is looked up."""
    path = credentials or env.get("GOOGLE_APPLICATION_CREDENTIALS") or None
    info = credentials_file(Path(path).expanduser()) if path else None
    if client is None:
        client = authorize(Path(path).expanduser() if path else None, info, gspread_dir)
        client.set_timeout(timeout)
    email = info.get("client_email") if info else None
    if not isinstance(email, str):
        email = getattr(getattr(client.http_client, "auth", None), "service_account_email", None)
    return client, email


def credentials_file(path: Path) -> dict[str, Any]:
    """The JSON object in a credentials file, or a ConfigError saying what is wrong with it."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"The Google credentials file {path} does not exist; pass the path of a service-account "
            "JSON key with --credentials or GOOGLE_APPLICATION_CREDENTIALS."
        ) from None
    except (OSError, ValueError):
        raise ConfigError(
            f"The Google credentials file {path} is not readable JSON; download the key again from "
            "the Google Cloud console and point --credentials at it."
        ) from None
    if not isinstance(info, dict):
        raise ConfigError(f"The Google credentials file {path} is not a key file; download the key again.")
    return info


def authorize(path: Path | None, info: dict[str, Any] | None, gspread_dir: Any) -> Any:
    """A gspread client signed in with the key or OAuth file at `path`, else the saved login."""
    import gspread

    try:
        if path is not None and info is not None:
            if info.get("type") == "service_account":
                return gspread.service_account(filename=path)
            if info.get("type") == "authorized_user":
                return gspread.oauth(authorized_user_filename=path)
            if "installed" in info or "web" in info:
                return gspread.oauth(credentials_filename=path)
            raise ConfigError(
                f"{path} is neither a service-account key nor an OAuth client file; download a "
                "service-account JSON key from the Google Cloud console and pass it with --credentials."
            )
        folder = Path(gspread_dir).expanduser() if gspread_dir else gspread.auth.DEFAULT_CONFIG_DIR
        if (folder / "authorized_user.json").exists() or (folder / "credentials.json").exists():
            return gspread.oauth(
                credentials_filename=folder / "credentials.json",
                authorized_user_filename=folder / "authorized_user.json",
            )
    except ConfigError:
        raise
    except (ValueError, KeyError) as exc:
        raise ConfigError(
            f"The Google credentials in {path or 'the gspread folder'} cannot be used "
            f"({type(exc).__name__}); download a fresh key and run again."
        ) from None
    raise ConfigError(NO_CREDENTIALS)
