"""Google credentials: which key or sign-in to use, and a gspread client authorized with it.

Two things make sign-in safe on a server. Without a terminal nobody can sign in, so no
interactive flow is ever started (it would hang a cron job, or fail looking for a browser):
the error says to use a service-account key. With a terminal the sign-in is the console kind
(open a URL anywhere, paste the address it ends on) and gives up after a few minutes. And a
service-account key's access token comes from Google's token endpoint: when that does not
answer, stderr says so after a few seconds, and the run stops after two tries instead of a
minute of retries.
"""

from __future__ import annotations

import json
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import ConfigError, TableError

__all__ = ["NO_CREDENTIALS", "NO_TERMINAL", "SignIn", "authorize", "credentials_file", "sign_in"]

NO_CREDENTIALS = (
    "No Google credentials found: pass --credentials with the path of a service-account JSON key "
    "(or set GOOGLE_APPLICATION_CREDENTIALS), or sign in with your own account by putting an OAuth "
    "client file at ~/.config/gspread/credentials.json as gspread documents, then run again."
)
NO_TERMINAL = (
    "Signing in to Google with your own account needs a person at a terminal, and this run has "
    "none (a cron job or a script?), so no sign-in was started. Use a service-account key "
    "instead: create one in the Google Cloud console (IAM & Admin, Service accounts, Keys, JSON), "
    "share the sheet with the key's client_email as Editor, and pass --credentials key.json (or "
    "set GOOGLE_APPLICATION_CREDENTIALS). Or sign in once at a terminal: the saved login is used "
    "without one afterwards."
)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _read_line(timeout: float) -> str | None:
    """A line typed on stdin, or None when nothing arrives within `timeout` seconds."""
    try:
        ready, _, _ = select.select([sys.stdin], [], [], timeout)
    except (OSError, ValueError):  # no select() on this stdin (Windows consoles)
        return input()
    return sys.stdin.readline() if ready else None


@dataclass
class SignIn:
    """How signing in behaves; tests replace the terminal, the waits and stderr."""

    interactive: Callable[[], bool] = _stdin_is_terminal
    say: Callable[[str], None] = _say
    read_line: Callable[[float], str | None] = _read_line
    #: Seconds a person has to paste the address the browser ended on.
    answer_timeout: float = 300.0
    #: Google's token endpoint: say what we wait for after this long; give up after the tries.
    notice_after: float = 4.0
    token_timeout: float = 10.0
    token_attempts: int = 2
    sleep: Callable[[float], None] = field(default=time.sleep)


def sign_in(
    credentials: str | os.PathLike[str] | None,
    env: Mapping[str, str],
    gspread_dir: str | os.PathLike[str] | None = None,
    *,
    client: Any = None,
    timeout: float | tuple[float, float] = (10.0, 120.0),
    how: SignIn | None = None,
) -> tuple[Any, str | None]:
    """(gspread client, account e-mail) for `credentials`, GOOGLE_APPLICATION_CREDENTIALS or the
    saved login; a given `client` is kept, and only the e-mail is looked up."""
    path = credentials or env.get("GOOGLE_APPLICATION_CREDENTIALS") or None
    info = credentials_file(Path(path).expanduser()) if path else None
    if client is None:
        client = authorize(Path(path).expanduser() if path else None, info, gspread_dir, how=how)
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


def authorize(path: Path | None, info: dict[str, Any] | None, gspread_dir: Any, *, how: SignIn | None = None) -> Any:
    """A gspread client signed in with the key or OAuth file at `path`, else the saved login."""
    import gspread

    how = how or SignIn()

    def oauth(**files: Any) -> Any:
        return gspread.oauth(flow=lambda client_config, scopes, port=0: console_flow(client_config, scopes, how), **files)

    try:
        if path is not None and info is not None:
            if info.get("type") == "service_account":
                return gspread.Client(auth=_service_account(path, how))
            if info.get("type") == "authorized_user":
                return oauth(authorized_user_filename=path)
            if "installed" in info or "web" in info:
                return oauth(credentials_filename=path)
            raise ConfigError(
                f"{path} is neither a service-account key nor an OAuth client file; download a "
                "service-account JSON key from the Google Cloud console and pass it with --credentials."
            )
        folder = Path(gspread_dir).expanduser() if gspread_dir else gspread.auth.DEFAULT_CONFIG_DIR
        if (folder / "authorized_user.json").exists() or (folder / "credentials.json").exists():
            return oauth(
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


# --- your own account: the console sign-in ---------------------------------------------------

# Google sends the browser here after consent; nothing needs to listen: the person copies the
# address (which carries the code) from the browser, on whatever computer it runs.
_REDIRECT = "http://localhost:1/"


def console_flow(client_config: Mapping[str, Any], scopes: Iterable[str], how: SignIn) -> Any:
    """OAuth sign-in by copy and paste, only with a terminal, and never waiting for ever."""
    if not how.interactive():
        raise ConfigError(NO_TERMINAL)
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_config(dict(client_config), list(scopes), redirect_uri=_REDIRECT)
    url, _state = flow.authorization_url(prompt="consent", access_type="offline")
    minutes = max(1, round(how.answer_timeout / 60))
    how.say(
        "Sign in to Google: open this address in a browser, on any computer:\n"
        f"  {url}\n"
        "After you allow access the browser shows an address starting with "
        f"{_REDIRECT} that does not load; copy that whole address and paste it here "
        f"(waiting {minutes} minute{'s' if minutes != 1 else ''}):"
    )
    answer = how.read_line(how.answer_timeout)
    if answer is None or not answer.strip():
        raise ConfigError(
            f"No sign-in address was pasted within {minutes} minute{'s' if minutes != 1 else ''}; "
            "run again to sign in, or use a service-account key with --credentials key.json."
        )
    code = _code(answer.strip())
    try:
        flow.fetch_token(code=code)
    except Exception as exc:  # oauthlib's errors have no common base worth naming
        reason = " ".join(str(exc).split())[:160]
        raise ConfigError(
            f"Google did not accept that sign-in ({type(exc).__name__}: {reason}); run again and paste "
            "the whole address the browser ended on."
        ) from None
    return flow.credentials


def _code(answer: str) -> str:
    """The authorization code from a pasted address (or the bare code itself)."""
    if "code=" in answer:
        query = urlsplit(answer).query or answer.split("?", 1)[-1]
        found = parse_qs(query).get("code")
        if found:
            return found[0]
    return answer


# --- service accounts: the token endpoint ----------------------------------------------------


def _service_account(path: Path, how: SignIn) -> Any:
    import gspread
    from google.auth import exceptions as auth_errors
    from google.oauth2 import service_account

    class PatientCredentials(service_account.Credentials):  # type: ignore[misc]
        """Asks the token endpoint at most `token_attempts` times, and says when it waits."""

        def refresh(self, request: Any) -> None:
            def bounded(*args: Any, **kwargs: Any) -> Any:
                kwargs["timeout"] = how.token_timeout
                return request(*args, **kwargs)

            where = urlsplit(self._token_uri).netloc or self._token_uri
            timer = threading.Timer(how.notice_after, how.say, args=(
                f"Waiting for Google's sign-in server ({where}) to give {self.service_account_email} "
                "an access token; no answer yet (check the network or proxy if this lasts)...",
            ))
            timer.daemon = True
            timer.start()
            failure: Exception | None = None
            try:
                for attempt in range(max(1, how.token_attempts)):
                    try:
                        super().refresh(bounded)
                        return
                    except auth_errors.TransportError as exc:
                        failure = exc
                        if attempt + 1 < how.token_attempts:
                            how.sleep(1.0)
            finally:
                timer.cancel()
            reason = type(failure.args[0]).__name__ if failure is not None and failure.args else "no answer"
            # Not a TransportError: the Sheets calls would retry it for another minute.
            raise TableError(
                f"Could not reach Google's sign-in server ({where}) to sign in as "
                f"{self.service_account_email} after {how.token_attempts} tries ({reason}); check "
                "the network connection (and any proxy), then run again."
            )

    return PatientCredentials.from_service_account_file(str(path), scopes=gspread.auth.DEFAULT_SCOPES)
