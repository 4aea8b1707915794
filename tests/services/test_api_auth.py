"""Registration, login, access tokens (tampered, forged, expired, of the wrong type), refresh rotation and
reuse detection, logout, password change and the login rate limit."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from apitest import *  # noqa: F403 - the API fixtures
from apitest import PASSWORD, SECRET, Api, MovableClock, member

from quantdesk.persistence import Role, create_engine_for, session_factory, transaction
from services.common.crypto import derive_key
from services.common.tokens import refresh_token_hash


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_register_gives_the_trader_role_even_to_the_first_user_and_never_returns_the_hash(api: Api) -> None:
    body = api.register("Alice", email="alice@example.com", display_name="Alice A.")
    assert body["id"] == 1
    assert body["username"] == "alice"
    assert body["role"] == "trader"
    assert body["active"] is True
    assert (body["email"], body["display_name"]) == ("alice@example.com", "Alice A.")
    assert set(body) == {"id", "username", "email", "display_name", "role", "active", "created_at", "updated_at"}


def test_a_taken_username_is_409_whatever_its_case(api: Api) -> None:
    api.register("alice")
    response = api.post("/auth/register", json={"username": "ALICE", "password": PASSWORD})
    assert response.status_code == 409
    assert response.json() == {"detail": "username 'alice' is taken"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "al", "password": PASSWORD}, "username"),
        ({"username": "al ice", "password": PASSWORD}, "username"),
        ({"username": "alice", "password": "short"}, "password"),
        ({"username": "alice", "password": PASSWORD, "email": "not-an-email"}, "email"),
        ({"username": "alice", "password": PASSWORD, "role": "admin"}, "role"),
    ],
)
def test_a_bad_registration_is_422_naming_the_field(api: Api, body: dict, field: str) -> None:
    response = api.post("/auth/register", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}: ")


def test_a_rejected_password_is_never_echoed(api: Api) -> None:
    for body in ({"username": "alice", "password": "tiny-secret"}, {"username": "a", "password": ["tiny-secret"]}):
        response = api.post("/auth/register", json=body)
        assert response.status_code == 422
        assert "tiny-secret" not in response.text
    assert api.post("/auth/register", json={"username": "alice", "password": "tiny-secret"}).json() == {
        "detail": "password: must be at least 12 characters",
        "errors": [{"loc": ["body", "password"], "msg": "must be at least 12 characters", "type": "value_error"}],
    }


def test_login_issues_a_15_minute_hs256_access_token_and_a_refresh_token(api: Api, clock: MovableClock) -> None:
    user = api.register("alice")
    tokens = api.login("alice")
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    assert tokens["refresh_expires_in"] == 14 * 86400
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "HS256"
    claims = _claims(tokens["access_token"])
    assert set(claims) == {"sub", "role", "exp", "iat", "jti", "type"}
    assert (claims["sub"], claims["role"], claims["type"]) == (str(user["id"]), "trader", "access")
    assert claims["iat"] == int(clock.now.timestamp())
    assert claims["exp"] - claims["iat"] == 900
    assert len(tokens["refresh_token"]) >= 43
    me = api.get("/users/me", token=tokens["access_token"])
    assert me.status_code == 200
    assert me.json()["username"] == "alice"


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password!"), ("nobody", PASSWORD)])
def test_a_wrong_password_and_an_unknown_user_get_the_same_401(api: Api, username: str, password: str) -> None:
    api.register("alice")
    response = api.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {"detail": "incorrect username or password"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_login_needs_both_form_fields(api: Api) -> None:
    response = api.post("/auth/token", data={"username": "alice"})
    assert response.status_code == 422
    assert response.json()["detail"] == "password: Field required"


def _access_token(api: Api, database_url: str) -> str:
    return member(api, database_url, "alice").access


def test_a_token_with_a_changed_payload_is_refused(api: Api, database_url: str) -> None:
    token = _access_token(api, database_url)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = ".".join([header, _segment({**claims, "role": "admin", "sub": "2"}), signature])
    response = api.get("/users/me", token=forged)
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid access token"}


def test_a_token_signed_with_another_key_is_refused(api: Api, database_url: str) -> None:
    claims = _claims(_access_token(api, database_url))
    for key in (derive_key("another secret key of 32 characters!!", "access-tokens"), SECRET.encode()):
        forged = jwt.encode(claims, key, algorithm="HS256")
        response = api.get("/users/me", token=forged)
        assert response.status_code == 401
        assert response.json() == {"detail": "invalid access token"}


def test_an_unsigned_alg_none_token_is_refused(api: Api, database_url: str) -> None:
    claims = _claims(_access_token(api, database_url))
    for alg in ("none", "None", "NONE"):
        unsigned = f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(claims)}."
        response = api.get("/users/me", token=unsigned)
        assert response.status_code == 401
        assert response.json() == {"detail": "invalid access token"}


def test_garbage_and_a_missing_token_are_401(api: Api) -> None:
    assert api.get("/users/me", token="not.a.jwt").json() == {"detail": "invalid access token"}
    missing = api.get("/users/me")
    assert missing.status_code == 401
    assert missing.json() == {"detail": "not authenticated: send Authorization: Bearer <access token>"}
    basic = api.get("/users/me", headers={"Authorization": "Basic YWxpY2U6cHc="})
    assert basic.status_code == 401


def test_a_token_crafted_with_the_right_key_but_expired_is_refused(api: Api, database_url: str) -> None:
    claims = _claims(_access_token(api, database_url))
    expired = {**claims, "iat": claims["iat"] - 3600, "exp": claims["iat"] - 1}
    token = jwt.encode(expired, derive_key(SECRET, "access-tokens"), algorithm="HS256")
    response = api.get("/users/me", token=token)
    assert response.status_code == 401
    assert response.json() == {"detail": "access token expired"}


def test_an_access_token_expires_after_15_minutes(api: Api, database_url: str, clock: MovableClock) -> None:
    token = _access_token(api, database_url)
    clock.advance(minutes=14, seconds=59)
    assert api.get("/users/me", token=token).status_code == 200
    clock.advance(seconds=1)
    response = api.get("/users/me", token=token)
    assert response.status_code == 401
    assert response.json() == {"detail": "access token expired"}


def test_a_token_missing_a_claim_or_of_another_type_is_refused(api: Api, database_url: str) -> None:
    claims = _claims(_access_token(api, database_url))
    key = derive_key(SECRET, "access-tokens")
    refresh_typed = jwt.encode({**claims, "type": "refresh"}, key, algorithm="HS256")
    assert api.get("/users/me", token=refresh_typed).json() == {"detail": "not an access token"}
    without_jti = jwt.encode({k: v for k, v in claims.items() if k != "jti"}, key, algorithm="HS256")
    assert api.get("/users/me", token=without_jti).json() == {"detail": "invalid access token"}


def test_a_refresh_token_is_not_an_access_token(api: Api, database_url: str) -> None:
    refresh = member(api, database_url, "alice").refresh
    response = api.get("/users/me", token=refresh)
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid access token"}


def test_a_deactivated_or_deleted_user_s_token_is_refused(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    admin = member(api, database_url, "root", Role.ADMIN)
    assert api.post(f"/users/{alice.id}/deactivate", token=admin.access).status_code == 200
    response = api.get("/users/me", token=alice.access)
    assert response.status_code == 401
    assert response.json() == {"detail": "unknown or deactivated user"}
    login = api.post("/auth/token", data={"username": "alice", "password": PASSWORD})
    assert (login.status_code, login.json()) == (401, {"detail": "this account is deactivated"})
    refresh = api.post("/auth/refresh", json={"refresh_token": alice.refresh})
    assert refresh.status_code == 401
    claims = _claims(alice.access)
    ghost = jwt.encode({**claims, "sub": "999"}, derive_key(SECRET, "access-tokens"), algorithm="HS256")
    assert api.get("/users/me", token=ghost).json() == {"detail": "unknown or deactivated user"}


def test_refresh_returns_a_new_pair_and_retires_the_old_refresh_token(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    first = api.post("/auth/refresh", json={"refresh_token": alice.refresh})
    assert first.status_code == 200
    pair = first.json()
    assert pair["refresh_token"] != alice.refresh
    assert pair["access_token"] != alice.access
    assert api.get("/users/me", token=pair["access_token"]).status_code == 200
    second = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert second.status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    other_login = api.login("alice")  # another device: its own family, untouched by the reuse
    newer = api.post("/auth/refresh", json={"refresh_token": alice.refresh}).json()
    newest = api.post("/auth/refresh", json={"refresh_token": newer["refresh_token"]}).json()

    reuse = api.post("/auth/refresh", json={"refresh_token": alice.refresh})
    assert reuse.status_code == 401
    assert reuse.json() == {
        "detail": "refresh token already used: every session of this login is revoked, log in again"
    }
    # the newest token of the family was revoked by the reuse (committed despite the 401)
    revoked = api.post("/auth/refresh", json={"refresh_token": newest["refresh_token"]})
    assert (revoked.status_code, revoked.json()) == (401, {"detail": "invalid or expired refresh token"})
    assert api.post("/auth/refresh", json={"refresh_token": other_login["refresh_token"]}).status_code == 200

    engine = create_engine_for(database_url)
    with transaction(session_factory(engine)) as uow:
        stored = [uow.tokens.by_hash(refresh_token_hash(t)) for t in (alice.refresh, newest["refresh_token"])]
    engine.dispose()
    assert [token.rotated_at is not None for token in stored if token] == [True, False]
    assert [token.revoked_at is not None for token in stored if token] == [True, True]


def test_an_unknown_or_expired_refresh_token_is_401(api: Api, database_url: str, clock: MovableClock) -> None:
    alice = member(api, database_url, "alice")
    unknown = api.post("/auth/refresh", json={"refresh_token": "made-up"})
    assert (unknown.status_code, unknown.json()) == (401, {"detail": "invalid or expired refresh token"})
    clock.advance(days=14)
    expired = api.post("/auth/refresh", json={"refresh_token": alice.refresh})
    assert (expired.status_code, expired.json()) == (401, {"detail": "invalid or expired refresh token"})


def test_logout_revokes_the_family_and_is_idempotent(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    newer = api.post("/auth/refresh", json={"refresh_token": alice.refresh}).json()
    assert api.post("/auth/logout", json={"refresh_token": alice.refresh}).status_code == 204
    assert api.post("/auth/refresh", json={"refresh_token": newer["refresh_token"]}).status_code == 401
    assert api.post("/auth/logout", json={"refresh_token": newer["refresh_token"]}).status_code == 204
    assert api.post("/auth/logout", json={"refresh_token": "made-up"}).status_code == 204


def test_changing_the_password_needs_the_current_one_and_revokes_every_login(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    second = api.login("alice")
    wrong = api.post(
        "/users/me/password",
        token=alice.access,
        json={"current_password": "not my password", "new_password": "a brand new password"},
    )
    assert (wrong.status_code, wrong.json()) == (400, {"detail": "the current password is wrong"})
    changed = api.post(
        "/users/me/password",
        token=alice.access,
        json={"current_password": PASSWORD, "new_password": "a brand new password"},
    )
    assert changed.status_code == 204
    for refresh in (alice.refresh, second["refresh_token"]):
        assert api.post("/auth/refresh", json={"refresh_token": refresh}).status_code == 401
    assert api.post("/auth/token", data={"username": "alice", "password": PASSWORD}).status_code == 401
    assert api.login("alice", "a brand new password")["token_type"] == "bearer"


def test_five_failed_logins_for_an_account_answer_429_until_the_window_passes(api: Api, clock: MovableClock) -> None:
    api.register("alice")
    for _ in range(5):
        failed = api.post("/auth/token", data={"username": "alice", "password": "wrong password!"})
        assert failed.status_code == 401
        clock.advance(seconds=10)
    limited = api.post("/auth/token", data={"username": "alice", "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == str(15 * 60 - 50)
    assert limited.json() == {"detail": f"too many failed logins; try again in {15 * 60 - 50} seconds"}
    clock.advance(seconds=15 * 60 - 50)  # the first failure leaves the window: 4 remain
    assert api.post("/auth/token", data={"username": "alice", "password": PASSWORD}).status_code == 200


def test_failures_from_one_address_over_many_accounts_answer_429(api: Api, clock: MovableClock) -> None:
    api.register("victim")
    for n in range(5):
        api.post("/auth/token", data={"username": f"guess{n}", "password": "wrong password!"})
    limited = api.post("/auth/token", data={"username": "victim", "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == str(15 * 60)
    clock.advance(minutes=15)
    assert api.post("/auth/token", data={"username": "victim", "password": PASSWORD}).status_code == 200


def test_wrong_current_passwords_count_towards_the_limit(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    body = {"current_password": "not my password", "new_password": "a brand new password"}
    statuses = [api.post("/users/me/password", token=alice.access, json=body).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]


def test_a_refresh_token_works_until_its_14_days_are_up(api: Api, database_url: str, clock: MovableClock) -> None:
    alice = member(api, database_url, "alice")
    clock.advance(days=13, hours=23, minutes=59, seconds=59)
    assert api.post("/auth/refresh", json={"refresh_token": alice.refresh}).status_code == 200
