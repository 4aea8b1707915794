"""The API on PostgreSQL (a schema of its own in the shared `test` database): the same flows as on SQLite,
where the conditional UPDATE of refresh rotation and the upserts meet another dialect."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from apitest import *  # noqa: F403 - the API fixtures
from apitest import FAST_PASSWORDS, PASSWORD, SECRET, Api, MovableClock
from conftest import server_url
from fastapi.testclient import TestClient

from quantdesk.config import Settings
from quantdesk.persistence import Role, create_engine_for, session_factory, transaction, upgrade
from services.app import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url() -> Iterator[str]:
    server = server_url("postgres")
    schema = f"qd_api_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    scoped = sa.make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    url = scoped.render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def test_a_session_on_postgresql(postgres_url: str, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, secret_key=SECRET)
    with TestClient(create_app(settings, clock=MovableClock(), passwords=FAST_PASSWORDS)) as client:
        api = Api(client)
        assert api.get("/health").json() == {"status": "ok", "database": "ok"}
        assert api.register("alice")["id"] == 1
        assert api.post("/auth/register", json={"username": "ALICE", "password": PASSWORD}).status_code == 409
        tokens = api.login("alice")
        rotated = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert rotated.status_code == 200
        assert api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
        assert api.post("/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}).status_code == 401

        access = api.login("alice")["access_token"]
        saved = api.put("/users/me/risk-profile", token=access, json={"max_drawdown": 0.15, "allowed_symbols": ["spy"]})
        assert saved.json()["profile"]["max_drawdown"] == "0.15"
        credentials = {"broker": "alpaca", "key_id": "PK000000005678", "secret_key": "pg-secret", "paper": False}
        assert api.put("/users/me/broker-credentials", token=access, json=credentials).json()["key_id_last4"] == "5678"
        assert api.get("/users/me/broker-credentials", token=access).json()["paper"] is False

        engine = create_engine_for(postgres_url)
        with transaction(session_factory(engine)) as uow:
            uow.users.update(1, role=Role.ADMIN)
        engine.dispose()
        api.register("bob")
        assert [u["username"] for u in api.get("/users", token=access).json()] == ["alice", "bob"]
        assert api.post("/users/2/deactivate", token=access).json()["active"] is False
        assert api.post("/auth/token", data={"username": "bob", "password": PASSWORD}).status_code == 401
