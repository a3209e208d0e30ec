"""Token roles and what the API says about a token (SPEC §6, §13): never its value."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["MLPTokenType", "ProjectTokenInfo", "TokenInfo", "parse_time"]


class MLPTokenType(str, enum.Enum):
    """A token's role: ``USER`` may use the platform; ``ADMIN`` also manages the project's tokens."""

    USER = "USER"
    ADMIN = "ADMIN"

    def __str__(self) -> str:
        return self.value


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time of the API (``…Z``) as an aware ``datetime``; ``None`` stays ``None``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    # datetime.fromisoformat takes "Z" only from Python 3.11 on.
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"the answer's {key!r} is not a string: {value!r}")
    return value


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"the answer's {key!r} is not a string: {value!r}")
    return value


def _block(name: str, fields: list[tuple[str, object]], label_selector: str | None) -> str:
    """A token as the documentation prints it: ``Token NAME:`` and a tab-indented line per field; the
    label selector last, and only when the token has one."""
    if label_selector is not None:
        fields = [*fields, ("label_selector", label_selector)]
    return "\n".join([f"Token {name}:", *(f"\t{key}: {value}" for key, value in fields)])


@dataclass(frozen=True)
class TokenInfo:
    """The calling token, as ``who_am_i`` answers it."""

    id: str
    name: str
    type: MLPTokenType
    issuer_name: str
    project_id: str
    exp: datetime | None
    label_selector: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenInfo:
        return cls(
            id=_text(data, "id"),
            name=_text(data, "name"),
            type=MLPTokenType(_text(data, "type")),
            issuer_name=_text(data, "issuer_name"),
            project_id=_text(data, "project_id"),
            exp=parse_time(data.get("exp")),
            label_selector=_optional_text(data, "label_selector"),
        )

    def __str__(self) -> str:
        return _block(
            self.name,
            [
                ("id", self.id),
                ("type", self.type.value),
                ("issuer_name", self.issuer_name),
                ("exp", self.exp),
            ],
            self.label_selector,
        )


@dataclass(frozen=True)
class ProjectTokenInfo:
    """One active token of the project, as ``get_project_tokens_info`` and ``update_token`` answer it."""

    id: str
    name: str
    type: MLPTokenType
    issuer_name: str
    created_at: datetime
    exp: datetime | None
    last_used_at: datetime | None
    description: str | None
    label_selector: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProjectTokenInfo:
        created_at = parse_time(_text(data, "created_at"))
        assert created_at is not None  # noqa: S101 (a string always parses to a time)
        return cls(
            id=_text(data, "id"),
            name=_text(data, "name"),
            type=MLPTokenType(_text(data, "type")),
            issuer_name=_text(data, "issuer_name"),
            created_at=created_at,
            exp=parse_time(data.get("exp")),
            last_used_at=parse_time(data.get("last_used_at")),
            description=_optional_text(data, "description"),
            label_selector=_optional_text(data, "label_selector"),
        )

    def __str__(self) -> str:
        fields: list[tuple[str, object]] = [
            ("id", self.id),
            ("type", self.type.value),
            ("issuer_name", self.issuer_name),
            ("created_at", self.created_at),
            ("exp", self.exp),
            ("last_used_at", self.last_used_at),
            ("description", self.description),
        ]
        return _block(self.name, fields, self.label_selector)
