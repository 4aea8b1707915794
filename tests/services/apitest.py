"""The API under test and its helpers: a fresh SQLite database migrated by ``upgrade``, an app on it with a
clock the tests move, reached through ``TestClient`` (``api``) or uvicorn on 127.0.0.1 (``live_api``); a
client whose every response is checked for the error shape (``{"detail": "..."}`` on 4xx/5xx) and the
absence of a stack trace; registered members.

The fixtures live here, not in a conftest.py: a second conftest module would shadow ``tests/conftest.py`` for
the tests that ``from conftest import server_url``. Test modules take them with ``from apitest import *``
(``__all__`` names only the fixtures).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from quantdesk.config import Settings
from quantdesk.persistence import Role, create_engine_for, session_factory, transaction, upgrade
from services.app import create_app

__all__ = ["api", "app", "clock", "database_url", "live_api", "live_url", "settings"]

SECRET = "test-secret-key-0123456789abcdefghijklmnop"
PASSWORD = "correct horse battery"
# real argon2id, at a cost a test suite can afford (the app's default takes ~0.2 s a hash)
FAST_PASSWORDS = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
TRACE_MARKERS = ("Traceback", 'File "', "site-packages", "sqlalchemy.exc")


class MovableClock:
    """UTC now, frozen until a test moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def checked(response: httpx.Response) -> httpx.Response:
    """``response`` after asserting it shows no stack trace and, if it is an error, has the error shape."""
    for marker in TRACE_MARKERS:
        assert marker not in response.text, response.text
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict), body
        assert isinstance(body.get("detail"), str), body
        assert body["detail"], body
    return response


class Api:
    """An HTTP client (TestClient or httpx against uvicorn) whose every response is :func:`checked`."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return checked(self.client.request(method, path, headers=headers, **kwargs))

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def register(self, username: str, password: str = PASSWORD, **fields: Any) -> dict[str, Any]:
        response = self.post("/auth/register", json={"username": username, "password": password, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("/auth/token", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()


@dataclass
class Member:
    """A registered user and the tokens of one login."""

    id: int
    username: str
    password: str
    access: str
    refresh: str


def set_role(database_url: str, username: str, role: Role) -> None:
    """Give a user a role straight in the database (as `quantdesk users set-role` does)."""
    engine = create_engine_for(database_url)
    with transaction(session_factory(engine)) as uow:
        user = uow.users.by_username(username)
        assert user is not None
        uow.users.update(user.id, role=role)
    engine.dispose()


def member(api: Api, database_url: str, username: str, role: Role = Role.TRADER) -> Member:
    """Register ``username``, give it ``role`` and log in."""
    registered = api.register(username)
    if role != Role.TRADER:
        set_role(database_url, username, role)
    tokens = api.login(username)
    return Member(registered["id"], username, PASSWORD, tokens["access_token"], tokens["refresh_token"])


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key=SECRET)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(settings: Settings, clock: MovableClock) -> FastAPI:
    return create_app(settings, clock=clock, passwords=FAST_PASSWORDS)


@pytest.fixture
def api(app: FastAPI) -> Iterator[Api]:
    with TestClient(app) as client:
        yield Api(client)


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a port the OS picked), in a thread; stopped afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def live_api(live_url: str) -> Iterator[Api]:
    with httpx.Client(base_url=live_url, timeout=10) as client:
        yield Api(client)
