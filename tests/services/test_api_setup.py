"""Setting the API up: the first admin from the CLI, the generated secret key, settings from the environment."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from apitest import *  # noqa: F403 - the API fixtures
from apitest import FAST_PASSWORDS, PASSWORD, Api, member
from click.testing import CliRunner
from fastapi.testclient import TestClient

from quantdesk.config import ConfigError, Settings, load_settings
from quantdesk.persistence import PersistenceError, UsernameTaken
from quantdesk.runtime.cli.users_commands import users
from services.app import create_app

REPO = Path(__file__).resolve().parents[2]


def quantdesk(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANTDESK_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "quantdesk.runtime.cli.main", *args]
    return subprocess.run(command, cwd=REPO, env=env, input=stdin, capture_output=True, text=True, timeout=60)


def test_the_first_admin_comes_from_the_cli_and_can_then_manage_users(api: Api, database_url: str) -> None:
    created = quantdesk(database_url, "users", "create", "Root", "--role", "admin", "--password-stdin",
                        stdin=f"{PASSWORD}\n")  # fmt: skip
    assert (created.returncode, created.stderr) == (0, "")
    assert created.stdout == "user root created (id 1, role admin)\n"
    admin = api.login("root")
    trader = member(api, database_url, "alice")
    assert [user["username"] for user in api.get("/users", token=admin["access_token"]).json()] == ["root", "alice"]
    promoted = api.put(f"/users/{trader.id}/role", token=admin["access_token"], json={"role": "admin"})
    assert promoted.json()["role"] == "admin"


def test_the_users_cli_lists_changes_roles_and_refuses_bad_input(api: Api, database_url: str) -> None:
    env = {"QUANTDESK_DATABASE_URL": database_url}
    runner = CliRunner()
    member(api, database_url, "alice")
    prompted = runner.invoke(users, ["create", "root", "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n", env=env)
    assert prompted.exit_code == 0, prompted.output
    assert prompted.output.endswith("user root created (id 2, role admin)\n")
    changed = runner.invoke(users, ["set-role", "alice", "viewer"], env=env)
    assert changed.output == "user alice now has the role viewer\n"
    assert runner.invoke(users, ["list"], env=env).output.splitlines() == [
        "    1  alice                            viewer  active",
        "    2  root                             admin   active",
    ]
    taken = runner.invoke(users, ["create", "ROOT", "--password-stdin"], input=f"{PASSWORD}\n", env=env)
    assert isinstance(taken.exception, UsernameTaken)
    assert str(taken.exception) == "username 'root' is taken"
    short = runner.invoke(users, ["create", "carol", "--password-stdin"], input="short\n", env=env)
    assert short.exit_code == 2
    assert "must be 12 to 256 characters" in short.output
    bad_name = runner.invoke(users, ["create", "no way", "--password-stdin"], input=f"{PASSWORD}\n", env=env)
    assert isinstance(bad_name.exception, PersistenceError)
    assert api.login("alice")["token_type"] == "bearer"


def test_without_a_secret_key_one_is_generated_once_with_mode_0600(tmp_path: Path, database_url: str) -> None:
    settings = Settings(data_dir=tmp_path / "state", database_url=database_url)
    first = create_app(settings, passwords=FAST_PASSWORDS)
    key_file = tmp_path / "state" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    with TestClient(first) as client:
        Api(client).register("alice")
        token = Api(client).login("alice")["access_token"]
    restarted = create_app(settings, passwords=FAST_PASSWORDS)  # a restart: same key, tokens stay valid
    assert key_file.read_text() == key
    with TestClient(restarted) as client:
        assert Api(client).get("/users/me", token=token).status_code == 200


def test_a_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTDESK_SECRET_KEY", "too-short")
    with pytest.raises(ConfigError, match="QUANTDESK_SECRET_KEY: must be at least 32 characters"):
        load_settings()


def test_create_app_reads_the_environment_only_when_called(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("QUANTDESK_ACCESS_TOKEN_MINUTES", "5")
    with TestClient(create_app(passwords=FAST_PASSWORDS)) as client:  # the lifespan migrates the SQLite file
        api = Api(client)
        api.register("alice")
        assert api.login("alice")["expires_in"] == 300
    assert (data_dir / "quantdesk.db").exists()
    assert (data_dir / "secret_key").exists()


def test_settings_defaults_for_the_api() -> None:
    settings = Settings()
    assert (settings.access_token_minutes, settings.refresh_token_days) == (15, 14)
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert settings.secret_key is None
