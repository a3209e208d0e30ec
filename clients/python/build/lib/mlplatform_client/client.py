"""``MLPlatform``: the token calls of the Cloud ML Platform library against mlp-console (SPEC §6, §9, §13)."""

from __future__ import annotations

import logging
import os
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mlplatform_client.core.exceptions import error_for
from mlplatform_client.serializers.auth import (
    MLPTokenType,
    ProjectTokenInfo,
    TokenInfo,
    parse_time,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "MLPlatform", "TokenExpirationWarning"]

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
# (connect, read) seconds: every request has both.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
# A token that lapses within this warns once per client.
EXPIRY_WARNING = timedelta(days=7)

_log = logging.getLogger("mlplatform_client")


class TokenExpirationWarning(UserWarning):
    """The token this client uses expires within 7 days (the server's ``MLP-Token-Expiration``)."""


class _Bearer(requests.auth.AuthBase):
    """Adds the token to each request it is given; its ``repr`` never shows it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer(<hidden>)"


def _retrying_session() -> requests.Session:
    """A session that retries what is safe to repeat: a GET whose connection failed or that was answered
    502/503/504. A read that timed out is not retried: the caller's timeout is the longest wait."""
    session = requests.Session()
    retry = Retry(
        total=2,
        connect=2,
        read=False,
        status=2,
        backoff_factor=0.2,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class MLPlatform:
    """A client of the platform's token API.

    ``refresh_token`` is an access token (``mlpat_…``); it may be left out for ``create_refresh_token``.
    ``base_url`` defaults to the environment variable ``MLP_URL``, else ``http://127.0.0.1:8080``.
    ``timeout`` is in seconds, one number or (connect, read).
    """

    def __init__(
        self,
        refresh_token: str | None = None,
        base_url: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        url = base_url or os.environ.get("MLP_URL") or DEFAULT_BASE_URL
        self.base_url = url.rstrip("/")
        self.timeout = timeout
        self._auth = None if refresh_token is None else _Bearer(refresh_token)
        self._session = _retrying_session()
        self._warned = False

    def __repr__(self) -> str:
        token = "<hidden>" if self._auth is not None else "None"
        return f"MLPlatform(base_url={self.base_url!r}, refresh_token={token})"

    def close(self) -> None:
        """Closes the client's connections."""
        self._session.close()

    def __enter__(self) -> MLPlatform:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---------- the calls ----------

    def create_register_token(
        self,
        client_name: str,
        access_ttl: str,
        refresh_ttl: str | None = None,
        token_type: MLPTokenType = MLPTokenType.USER,
        label_selector: str | None = None,
    ) -> str:
        """A one-time registration token (``ADMIN`` token): its exchange makes an access token named
        ``client_name`` with role ``token_type``, lifetime ``refresh_ttl`` (``None``: never expires) and
        ``label_selector``; it must be exchanged within ``access_ttl`` (durations like ``2h45m30s``)."""
        body: dict[str, Any] = {
            "client_name": client_name,
            "access_ttl": access_ttl,
            "refresh_ttl": refresh_ttl,
            "token_type": MLPTokenType(token_type).value,
        }
        if label_selector is not None:
            body["label_selector"] = label_selector
        answer = self._call("POST", "/register-tokens", body)
        return str(answer["register_token"])

    def create_refresh_token(self, register_token: str) -> str:
        """Exchanges a registration token, once, for an access token (needs no ``refresh_token``)."""
        answer = self._call(
            "POST", "/refresh-tokens", {"register_token": register_token}, authenticated=False
        )
        return str(answer["refresh_token"])

    def who_am_i(self) -> TokenInfo:
        """The token this client uses."""
        return TokenInfo.from_json(self._call("GET", "/tokens/me"))

    def get_project_tokens_info(self) -> list[ProjectTokenInfo]:
        """The active tokens of the project of this client's token, newest first (``ADMIN`` token)."""
        answer = self._call("GET", "/tokens")
        return [ProjectTokenInfo.from_json(token) for token in answer["tokens"]]

    def delete_token(self, token_name: str) -> None:
        """Deletes the project's active token named ``token_name`` (``ADMIN`` token)."""
        self._call("DELETE", f"/tokens/{_segment(token_name)}")

    def renew_token(self, token_name: str) -> str:
        """A new value for the token named ``token_name``; the old value stops working (``ADMIN`` token)."""
        answer = self._call("POST", f"/tokens/{_segment(token_name)}/renew")
        return str(answer["refresh_token"])

    def update_token(self, token_name: str, description: str | None) -> ProjectTokenInfo:
        """Sets the description of the token named ``token_name``; ``None`` or ``""`` removes it."""
        answer = self._call("PATCH", f"/tokens/{_segment(token_name)}", {"description": description})
        return ProjectTokenInfo.from_json(answer)

    def revoke_leaked_token(self, token: str) -> None:
        """Reports a value found in a public place: a valid token is deleted at once. Needs no
        ``refresh_token``, and never says whether the value was a token."""
        self._call("POST", "/tokens/revoke-leaked", {"token": token}, authenticated=False)

    # ---------- the wire ----------

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        authenticated: bool = True,
    ) -> dict[str, Any]:
        _log.debug("%s %s", method, path)
        response = self._session.request(
            method,
            f"{self.base_url}/api/v1{path}",
            json=body,
            auth=self._auth if authenticated else None,
            timeout=self.timeout,
        )
        if authenticated:
            self._note_expiry(response)
        if response.status_code >= 400:
            raise error_for(response)
        if not response.content:
            return {}
        answer = response.json()
        if not isinstance(answer, dict):
            raise ValueError(f"{method} {path}: the answer is not a JSON object")
        return answer

    def _note_expiry(self, response: requests.Response) -> None:
        """One warning per client when the server says its token lapses within 7 days."""
        header = response.headers.get("MLP-Token-Expiration")
        if self._warned or not header:
            return
        try:
            expires = parse_time(header)
        except ValueError:
            return
        if expires is not None and expires - datetime.now(timezone.utc) <= EXPIRY_WARNING:
            self._warned = True
            warnings.warn(
                f"the token of this MLPlatform client expires at {header}; renew it or ask for a new one",
                TokenExpirationWarning,
                stacklevel=3,
            )


def _segment(name: str) -> str:
    """A token name as one path segment: every reserved character escaped, ``/`` included."""
    return quote(name, safe="")
