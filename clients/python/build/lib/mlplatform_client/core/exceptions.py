"""One exception class per ``errorCode`` of the API (SPEC §6), all subclasses of ``MLPlatformException``.

The text of each is ``<Response [403]>. Info: {the JSON error}``, as the platform's library prints it. A
value that looks like a secret (``mlpat_…``, ``mlprg_…``, ``mlpiv_…``) is never part of it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import requests

__all__ = [
    "BadRequestException",
    "ConflictException",
    "ForbiddenException",
    "InternalServerErrorException",
    "MLPlatformException",
    "MethodNotAllowedException",
    "NotFoundException",
    "PayloadTooLargeException",
    "ServiceUnavailableException",
    "TooManyRequestsException",
    "UnauthorizedException",
    "error_for",
    "redact",
]

# A value of the §3 format: a prefix and 49 base62 characters (43 random, 6 of checksum).
_SECRET = re.compile(r"mlp(?:at|rg|iv)_[0-9A-Za-z]{4,}")


def redact(text: str) -> str:
    """``text`` with every secret-looking value cut to its prefix."""
    return _SECRET.sub(lambda m: m.group(0)[:6] + "…", text)


class MLPlatformException(Exception):
    """An error answer of the API: its HTTP status, ``errorCode`` and ``errorParams.field``."""

    def __init__(
        self,
        status: int,
        info: str,
        error_code: str | None = None,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.status = status
        self.info = redact(info)
        self.error_code = error_code
        self.field = None if field is None else redact(field)
        self.retry_after = retry_after
        super().__init__(f"<Response [{status}]>. Info: {self.info}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class BadRequestException(MLPlatformException):
    """400: bad JSON, a bad duration, name or field; ``field`` says which and why."""


class UnauthorizedException(MLPlatformException):
    """401: no token, or an unknown, deleted or mistyped one."""


class ForbiddenException(MLPlatformException):
    """403: an expired token, a missing scope, or a registration token already used."""


class NotFoundException(MLPlatformException):
    """404: no active token has that name, or no such route."""


class MethodNotAllowedException(MLPlatformException):
    """405: the route does not take that method (``me`` and ``revoke-leaked`` are not token names)."""


class ConflictException(MLPlatformException):
    """409: the name is taken, or the token was renewed meanwhile."""


class PayloadTooLargeException(MLPlatformException):
    """413: a body over 64 KiB."""


class TooManyRequestsException(MLPlatformException):
    """429: over a limit; ``retry_after`` says how many seconds to wait."""


class InternalServerErrorException(MLPlatformException):
    """500: the server failed; nothing it says is about your request."""


class ServiceUnavailableException(MLPlatformException):
    """503: the database is briefly out of reach; nothing changed, try again after ``retry_after``."""


_BY_CODE: dict[str, type[MLPlatformException]] = {
    cls.__name__: cls
    for cls in (
        BadRequestException,
        UnauthorizedException,
        ForbiddenException,
        NotFoundException,
        MethodNotAllowedException,
        ConflictException,
        PayloadTooLargeException,
        TooManyRequestsException,
        InternalServerErrorException,
        ServiceUnavailableException,
    )
}


def error_for(response: requests.Response) -> MLPlatformException:
    """The exception an error answer stands for: the class its ``errorCode`` names, else the base class."""
    text = response.text.strip()
    code: str | None = None
    field: str | None = None
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw_code = body.get("errorCode")
        code = raw_code if isinstance(raw_code, str) else None
        params = body.get("errorParams")
        if isinstance(params, dict) and isinstance(params.get("field"), str):
            field = params["field"]
    retry_after: int | None = None
    header = response.headers.get("Retry-After", "")
    if header.isdigit():
        retry_after = int(header)
    cls = _BY_CODE.get(code or "", MLPlatformException)
    info = text if text else response.reason or ""
    return cls(response.status_code, info, code, field, retry_after)
