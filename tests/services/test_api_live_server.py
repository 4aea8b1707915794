"""The API through a real HTTP stack: uvicorn on 127.0.0.1, httpx over a socket."""

from __future__ import annotations

import httpx
from apitest import *  # noqa: F403 - the API fixtures
from apitest import PASSWORD, Api

MIB = 1024 * 1024


def test_a_session_over_http_register_login_refresh_reuse_logout(live_api: Api) -> None:
    assert live_api.get("/health").json() == {"status": "ok", "database": "ok"}
    assert live_api.register("alice")["role"] == "trader"
    tokens = live_api.login("alice")
    me = live_api.get("/users/me", token=tokens["access_token"])
    assert (me.status_code, me.json()["username"]) == (200, "alice")

    rotated = live_api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200
    reuse = live_api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.headers["www-authenticate"] == "Bearer"
    assert live_api.post("/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}).status_code == 401

    again = live_api.login("alice")
    assert live_api.post("/auth/logout", json={"refresh_token": again["refresh_token"]}).status_code == 204
    assert live_api.post("/auth/refresh", json={"refresh_token": again["refresh_token"]}).status_code == 401


def test_bad_requests_over_http_are_4xx_with_a_message(live_api: Api) -> None:
    malformed = live_api.post("/auth/register", content=b"{oops", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 422
    assert malformed.json()["detail"].startswith("body: malformed JSON at character 1")
    unknown = live_api.post("/auth/register", json={"username": "bob", "password": PASSWORD, "admin": True})
    assert (unknown.status_code, unknown.json()["detail"]) == (422, "admin: unknown field")
    declared = live_api.post("/auth/register", content=b"x" * (MIB + 1), headers={"Content-Type": "application/json"})
    assert (declared.status_code, declared.json()) == (413, {"detail": f"request body is larger than {MIB} bytes"})
    streamed = live_api.post(
        "/auth/register", content=(b"x" * 4096 for _ in range(257)), headers={"Content-Type": "application/json"}
    )
    assert streamed.request.headers["transfer-encoding"] == "chunked"
    assert streamed.status_code == 413
    forged = live_api.get("/users/me", token="eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")
    assert (forged.status_code, forged.json()) == (401, {"detail": "invalid access token"})


def test_metrics_over_http_are_prometheus_text(live_url: str) -> None:
    with httpx.Client(base_url=live_url) as client:
        client.get("/health/live")
        text = client.get("/metrics").text
    assert 'quantdesk_http_requests_total{method="GET",route="/health/live",status="200"} 1.0' in text.splitlines()
