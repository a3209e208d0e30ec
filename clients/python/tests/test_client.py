"""Every call of the library against the real server (SPEC §6, §9, §13, §14)."""

from __future__ import annotations

import json
import logging
import warnings
from datetime import datetime, timedelta, timezone

import pytest
from conftest import Server, running_server, unique

from mlplatform_client import MLPlatform, MLPTokenType, TokenExpirationWarning
from mlplatform_client.core import exceptions
from mlplatform_client.serializers.auth import ProjectTokenInfo, TokenInfo


def exchange(server: Server, mlp: MLPlatform, name: str, **kwargs: object) -> str:
    register_token = mlp.create_register_token(client_name=name, access_ttl="1h", **kwargs)  # type: ignore[arg-type]
    return MLPlatform(base_url=server.url).create_refresh_token(register_token)


@pytest.mark.filterwarnings("ignore::mlplatform_client.TokenExpirationWarning")
def test_register_exchange_who_am_i_list_update_renew_delete(server: Server, mlp: MLPlatform) -> None:
    name = unique("notebook")
    register_token = mlp.create_register_token(
        client_name=name,
        access_ttl="2h45m30s",
        refresh_ttl="2h",
        token_type=MLPTokenType.USER,
    )
    assert isinstance(register_token, str)
    assert register_token.startswith("mlprg_")
    assert len(register_token) == 55

    # The exchange needs no token of its own.
    refresh_token = MLPlatform(base_url=server.url).create_refresh_token(register_token)
    assert refresh_token.startswith("mlpat_")
    assert len(refresh_token) == 55

    user = MLPlatform(refresh_token, base_url=server.url)
    with pytest.warns(TokenExpirationWarning, match="expires at"):
        me = user.who_am_i()
    assert isinstance(me, TokenInfo)
    assert me.name == name
    assert me.type is MLPTokenType.USER
    assert me.issuer_name == "admin@localhost"
    assert me.label_selector is None
    assert me.exp is not None
    lifetime = me.exp - datetime.now(timezone.utc)
    assert timedelta(hours=1, minutes=58) < lifetime <= timedelta(hours=2)
    assert str(me) == (
        f"Token {name}:\n\tid: {me.id}\n\ttype: USER\n\tissuer_name: admin@localhost\n\texp: {me.exp}"
    )

    tokens = mlp.get_project_tokens_info()
    assert all(isinstance(t, ProjectTokenInfo) for t in tokens)
    listed = next(t for t in tokens if t.name == name)
    assert listed.id == me.id
    assert listed.type is MLPTokenType.USER
    assert listed.last_used_at is not None, "who_am_i just used it"
    assert listed.description is None

    updated = mlp.update_token(name, "Notebook of the ranking team")
    assert updated.description == "Notebook of the ranking team"
    assert mlp.update_token(name, None).description is None

    renewed = mlp.renew_token(name)
    assert renewed.startswith("mlpat_")
    assert renewed != refresh_token
    with pytest.raises(exceptions.UnauthorizedException):
        user.who_am_i()
    assert MLPlatform(renewed, base_url=server.url).who_am_i().id == me.id

    mlp.delete_token(token_name=name)
    assert name not in [t.name for t in mlp.get_project_tokens_info()]
    with pytest.raises(exceptions.UnauthorizedException):
        MLPlatform(renewed, base_url=server.url).who_am_i()


def test_who_am_i_prints_the_documented_block(server: Server) -> None:
    name = unique("console-token")
    value = server.token("admin", name=name)
    me = MLPlatform(value, base_url=server.url).who_am_i()
    assert me.exp is None
    expected = f"Token {name}:\n\tid: {me.id}\n\ttype: ADMIN\n\tissuer_name: admin@localhost\n\texp: None"
    assert str(me) == expected


def test_a_label_selector_reaches_the_exchanged_token(server: Server, mlp: MLPlatform) -> None:
    name = unique("trainer")
    value = exchange(server, mlp, name, label_selector="example.com/model=base")
    me = MLPlatform(value, base_url=server.url).who_am_i()
    assert me.label_selector == "example.com/model=base"
    assert str(me).endswith("\n\tlabel_selector: example.com/model=base")
    listed = next(t for t in mlp.get_project_tokens_info() if t.name == name)
    assert listed.label_selector == "example.com/model=base"
    assert mlp.update_token(name, "kept").label_selector == "example.com/model=base"


def test_names_with_slashes_spaces_and_accents_are_one_path_segment(server: Server, mlp: MLPlatform) -> None:
    name = f"team a/b ü?#% {unique('x')}"
    value = exchange(server, mlp, name, token_type=MLPTokenType.ADMIN)
    assert MLPlatform(value, base_url=server.url).who_am_i().name == name
    assert mlp.update_token(name, "odd name").name == name
    assert mlp.renew_token(name).startswith("mlpat_")
    mlp.delete_token(name)
    with pytest.raises(exceptions.NotFoundException):
        mlp.delete_token(name)


def test_token_type_takes_the_enum_or_its_name(server: Server, mlp: MLPlatform) -> None:
    value = exchange(server, mlp, unique("admin-by-name"), token_type="ADMIN")
    assert MLPlatform(value, base_url=server.url).who_am_i().type is MLPTokenType.ADMIN
    with pytest.raises(ValueError, match="ROOT"):
        mlp.create_register_token(client_name="x", access_ttl="1h", token_type="ROOT")  # type: ignore[arg-type]


def info_of(error: exceptions.MLPlatformException) -> dict[str, object]:
    text = str(error)
    prefix = f"<Response [{error.status}]>. Info: "
    assert text.startswith(prefix), text
    body = json.loads(text[len(prefix) :])
    assert isinstance(body, dict)
    return body


def test_every_error_code_raises_its_class_with_the_documented_text(server: Server, mlp: MLPlatform) -> None:
    user = MLPlatform(server.token("user"), base_url=server.url)
    taken = unique("taken")
    exchange(server, mlp, taken)
    cases: list[tuple[type[exceptions.MLPlatformException], int, object]] = [
        (exceptions.UnauthorizedException, 401, lambda: MLPlatform(base_url=server.url).who_am_i()),
        (exceptions.ForbiddenException, 403, user.get_project_tokens_info),
        (
            exceptions.BadRequestException,
            400,
            lambda: mlp.create_register_token(client_name="x", access_ttl="forever"),
        ),
        (
            exceptions.ConflictException,
            409,
            lambda: mlp.create_register_token(client_name=taken, access_ttl="1h"),
        ),
        (exceptions.NotFoundException, 404, lambda: mlp.delete_token(unique("nobody"))),
        (exceptions.MethodNotAllowedException, 405, lambda: mlp.delete_token("me")),
        (exceptions.PayloadTooLargeException, 413, lambda: mlp.update_token(taken, "d" * 70_000)),
    ]
    for cls, status, call in cases:
        with pytest.raises(cls) as caught:
            call()  # type: ignore[operator]
        error = caught.value
        assert isinstance(error, exceptions.MLPlatformException)
        assert error.status == status
        assert error.error_code == cls.__name__
        body = info_of(error)
        assert body["status"] == status
        assert body["errorCode"] == cls.__name__

    with pytest.raises(exceptions.ForbiddenException) as caught:
        user.get_project_tokens_info()
    assert str(caught.value) == (
        '<Response [403]>. Info: {"status":403,"errorCode":"ForbiddenException",'
        '"errorParams":{"field":"token does not contain the following scopes: '
        "['ml-platform:Manage']\"}}"
    )
    assert caught.value.field == "token does not contain the following scopes: ['ml-platform:Manage']"


def test_too_many_leak_reports_raise_too_many_requests_with_retry_after() -> None:
    # A server of its own: the limit counts per client address, and every test here is 127.0.0.1.
    with running_server() as own:
        reporter = MLPlatform(base_url=own.url)

        def flood() -> None:
            for _ in range(200):
                reporter.revoke_leaked_token("not a token")

        with pytest.raises(exceptions.TooManyRequestsException) as caught:
            flood()
    assert caught.value.status == 429
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 0
    assert info_of(caught.value)["errorCode"] == "TooManyRequestsException"


def test_a_leaked_value_reported_stops_working(server: Server) -> None:
    value = server.token("user")
    MLPlatform(base_url=server.url).revoke_leaked_token(value)
    with pytest.raises(exceptions.UnauthorizedException):
        MLPlatform(value, base_url=server.url).who_am_i()


def test_an_expiring_token_warns_once_per_client(server: Server) -> None:
    soon = server.token("admin", expires_in="3d")
    client = MLPlatform(soon, base_url=server.url)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        client.who_am_i()
        client.get_project_tokens_info()
        client.who_am_i()
    assert [w.category for w in warned] == [TokenExpirationWarning], "once per client"
    assert soon not in str(warned[0].message)
    with pytest.warns(TokenExpirationWarning):
        MLPlatform(soon, base_url=server.url).who_am_i()

    later = server.token("admin", expires_in="30d")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLPlatform(later, base_url=server.url).who_am_i()
        MLPlatform(server.token("admin"), base_url=server.url).who_am_i()


def test_the_value_is_never_in_a_repr_an_exception_or_a_log(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    value = server.token("user")
    client = MLPlatform(value, base_url=server.url)
    client.who_am_i()
    assert value not in repr(client)
    assert value[6:] not in repr(client)
    assert "<hidden>" in repr(client)
    assert value not in repr(vars(client))

    bogus = value[:-8] + "AAAAAAAA"
    with pytest.raises(exceptions.MLPlatformException) as caught:
        MLPlatform(bogus, base_url=server.url).who_am_i()
    assert bogus not in str(caught.value)
    assert bogus not in repr(caught.value)
    with pytest.raises(exceptions.UnauthorizedException) as caught:
        MLPlatform(base_url=server.url).create_refresh_token(value)
    assert value not in str(caught.value)
    assert value[6:] not in caplog.text
    assert bogus[6:] not in caplog.text
    assert "GET /tokens/me" in caplog.text, "the log says what was called"


def test_redact_cuts_anything_that_looks_like_a_secret() -> None:
    text = 'bad "mlpat_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLM" and mlprg_XYZW12'
    assert exceptions.redact(text) == 'bad "mlpat_…" and mlprg_…'


def test_the_base_url_comes_from_the_argument_then_mlp_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLP_URL", raising=False)
    assert MLPlatform().base_url == "http://127.0.0.1:8080"
    monkeypatch.setenv("MLP_URL", "http://mlp.example:9000/")
    assert MLPlatform().base_url == "http://mlp.example:9000"
    assert MLPlatform(base_url="http://other:1").base_url == "http://other:1"
