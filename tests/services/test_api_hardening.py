"""Bad requests get a 4xx with a message, a bug gets a bare 500, the database being away gets 503; the health
and metrics endpoints; the OpenAPI docs."""

from __future__ import annotations

import logging

import pytest
from apitest import *  # noqa: F403 - the API fixtures
from apitest import FAST_PASSWORDS, PASSWORD, Api, checked, member
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quantdesk.config import Settings
from services.app import create_app

MIB = 1024 * 1024


def test_malformed_json_is_422_saying_where(api: Api) -> None:
    response = api.post("/auth/register", content=b'{"username": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"] == "body: malformed JSON at character 13 (Expecting value)"


def test_wrong_types_are_422_naming_each_field(api: Api) -> None:
    response = api.post("/auth/register", json={"username": 5, "password": 7})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "username: Input should be a valid string; password: Input should be a valid string"
    )


def test_an_unknown_field_is_422(api: Api) -> None:
    response = api.post("/auth/register", json={"username": "alice", "password": PASSWORD, "is_admin": True})
    assert response.status_code == 422
    assert response.json()["detail"] == "is_admin: unknown field"


def test_a_body_that_is_not_json_is_422(api: Api) -> None:
    response = api.post("/auth/register", content=b"hello", headers={"Content-Type": "text/plain"})
    assert response.status_code == 422
    assert response.json()["detail"] == "body: Input should be a valid dictionary or object to extract fields from"


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("POST", "/auth/register", "application/json"),
        ("POST", "/auth/token", "application/x-www-form-urlencoded"),
        ("POST", "/auth/token", "multipart/form-data; boundary=xyz"),
        ("PUT", "/users/me/risk-profile", "application/json"),
    ],
)
def test_a_body_over_1_mib_is_413_by_content_length_or_while_streaming(
    api: Api, method: str, path: str, content_type: str
) -> None:
    headers = {"Content-Type": content_type}
    declared = api.request(method, path, content=b"x" * (MIB + 1), headers=headers)
    assert declared.status_code == 413
    assert declared.json() == {"detail": f"request body is larger than {MIB} bytes"}
    streamed = api.request(method, path, content=(b"x" * 1024 for _ in range(1025)), headers=headers)
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    assert streamed.json() == {"detail": f"request body is larger than {MIB} bytes"}


def test_a_body_of_exactly_1_mib_is_read(api: Api) -> None:
    padding = " " * (MIB - len(b'{"username": "alice", "password": "correct horse battery"}'))
    body = '{"username": "alice", "password": "correct horse battery"}' + padding
    response = api.post("/auth/register", content=body.encode(), headers={"Content-Type": "application/json"})
    assert len(body) == MIB
    assert response.status_code == 201


def test_unknown_paths_and_methods_keep_the_error_shape(api: Api) -> None:
    assert api.get("/nope").json() == {"detail": "Not Found"}
    assert api.delete("/health").json() == {"detail": "Method Not Allowed"}


def test_a_bug_is_a_bare_500_and_its_traceback_goes_only_to_the_log(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        password = "hunter2-in-a-local-variable"
        raise RuntimeError(f"boom near {len(password)}")

    app.add_api_route("/explode", explode)
    with TestClient(app) as client:
        response = checked(client.get("/explode"))
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert "boom" not in response.text
    assert "Traceback" in caplog.text
    assert "RuntimeError: boom near 27" in caplog.text
    assert "hunter2" not in caplog.text


def test_an_unreachable_or_unmigrated_database_is_503(settings: Settings, tmp_path) -> None:
    unmigrated = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"})
    client = TestClient(create_app(unmigrated, passwords=FAST_PASSWORDS))  # no lifespan: nothing migrates it
    health = checked(client.get("/health"))
    assert health.status_code == 503
    assert health.json() == {
        "detail": "the database is unavailable",
        "status": "unavailable",
        "database": "unavailable",
    }
    register = checked(client.post("/auth/register", json={"username": "alice", "password": PASSWORD}))
    assert (register.status_code, register.json()) == (503, {"detail": "the database is unavailable; try again later"})
    assert checked(client.get("/health/live")).json() == {"status": "ok", "database": "not checked"}


def test_health_checks_the_database(api: Api) -> None:
    response = api.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


def test_metrics_count_requests_by_route_template_and_status(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    api.get(f"/users/{alice.id}", token=alice.access)
    api.get("/users/me")
    api.get("/no/such/path")
    response = api.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    lines = response.text.splitlines()
    for sample in (
        'quantdesk_http_requests_total{method="POST",route="/auth/register",status="201"} 1.0',
        'quantdesk_http_requests_total{method="POST",route="/auth/token",status="200"} 1.0',
        'quantdesk_http_requests_total{method="GET",route="/users/{user_id}",status="403"} 1.0',
        'quantdesk_http_requests_total{method="GET",route="/users/me",status="401"} 1.0',
        'quantdesk_http_requests_total{method="GET",route="unmatched",status="404"} 1.0',
        'quantdesk_http_request_duration_seconds_count{method="GET",route="/users/me",status="401"} 1.0',
    ):
        assert sample in lines, sample
    assert "# TYPE quantdesk_http_request_duration_seconds histogram" in lines


def test_two_apps_in_one_process_keep_their_own_metrics(settings: Settings) -> None:
    first, second = (create_app(settings, passwords=FAST_PASSWORDS) for _ in range(2))
    with TestClient(first) as one, TestClient(second) as two:
        for _ in range(3):
            one.get("/health/live")
        two.get("/health/live")
        sample = 'quantdesk_http_requests_total{method="GET",route="/health/live",status="200"}'
        assert f"{sample} 3.0" in one.get("/metrics").text.splitlines()
        assert f"{sample} 1.0" in two.get("/metrics").text.splitlines()


def test_the_openapi_docs_describe_every_domain(api: Api) -> None:
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    schema = api.get("/openapi.json").json()
    assert schema["info"]["title"] == "QuantDesk API"
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
        "/auth/token"
    )
    assert {tag for item in schema["paths"].values() for op in item.values() for tag in op["tags"]} == {
        "admin",
        "auth",
        "health",
        "users",
        "notifications",
        "strategies",
        "backtests",
        "deployments",
        "portfolio",
        "reports",
        "market data",
    }


def test_nothing_is_logged_above_warning_for_ordinary_client_errors(
    api: Api, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    alice = member(api, database_url, "alice")
    api.put("/users/me/risk-profile", token=alice.access, json={"max_weight_per_symbol": 9})
    api.post("/auth/token", data={"username": "alice", "password": "wrong password!"})
    assert [record for record in caplog.records if record.name == "services"] == []
