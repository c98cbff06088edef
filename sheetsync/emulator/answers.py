"""The documented response bodies, built in one place so every endpoint speaks alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class Answer:
    """An HTTP answer before it becomes bytes: status, JSON body, extra headers."""

    status: int
    body: dict[str, object]
    headers: dict[str, str] = field(default_factory=dict)


def ok(body: dict[str, object], status: int = 200) -> Answer:
    return Answer(status, {"success": True, **body})


def bad_token() -> Answer:
    return Answer(
        401,
        {
            "success": False,
            "message": "API Token Verification Error",
            "errors": {"api_token": "API Token is not a valid"},
        },
    )


def no_credits_left() -> Answer:
    # The reference lumps "out of credits" into 401; the message tells it apart from a bad token.
    return Answer(
        401,
        {
            "success": False,
            "message": "Out of credits.",
            "errors": {
                "api_token": "Your account has no credits left. Buy credits or use sandbox mode."
            },
        },
    )


def not_enough_credits() -> Answer:
    return Answer(
        409,
        {
            "success": False,
            "message": "Out of credits.",
            "errors": {
                "target_website_ids": "You don't have enough credits to choose this many targets. "
                "Please lower the number of targets to match your credit limit"
            },
        },
    )


def invalid(message: str, errors: Mapping[str, list[str] | str]) -> Answer:
    return Answer(422, {"success": False, "message": message, "errors": dict(errors)})


def not_found(what: str = "Task not found") -> Answer:
    return Answer(404, {"success": False, "message": what, "errors": {"id": what}})


def rate_limited(retry_after: int | None = None) -> Answer:
    text = "Rate limit exceeded. Please try again later."
    answer = Answer(429, {"success": False, "message": text, "errors": {"api_token": text}})
    if retry_after is not None:
        answer.headers["Retry-After"] = str(retry_after)
    return answer


def server_error() -> Answer:
    return Answer(
        500,
        {
            "success": False,
            "message": "Server Error",
            "errors": {"server": "An unexpected error occurred. Please try again later."},
        },
    )


def no_route(path: str) -> Answer:
    return Answer(
        404,
        {"success": False, "message": "Not Found", "errors": {"endpoint": f"No endpoint {path}."}},
    )


def wrong_method(method: str, allowed: str) -> Answer:
    answer = Answer(
        405,
        {
            "success": False,
            "message": f"The {method} method is not supported for this route. Use {allowed}.",
            "errors": {},
        },
    )
    answer.headers["Allow"] = allowed
    return answer


GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
