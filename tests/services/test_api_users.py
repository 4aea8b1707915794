"""The caller's account, the risk profile (the very row the risk engine and `quantdesk risk` use) and broker
credentials (encrypted at rest, never shown)."""

from __future__ import annotations

import json
import logging
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from apitest import *  # noqa: F403 - the API fixtures
from apitest import SECRET, Api, member
from click.testing import CliRunner

from quantdesk.model import Symbol, UserId
from quantdesk.persistence import create_engine_for, session_factory, transaction
from quantdesk.risk import RiskProfile
from quantdesk.runtime.cli.risk_commands import risk
from services.common.crypto import SecretBox

CREDENTIALS = {"broker": "alpaca", "key_id": "PKTEST00000000001234", "secret_key": "s3cr3t-VALUE-xyz", "paper": True}


def _stored_profile(database_url: str, user: str) -> RiskProfile | None:
    engine = create_engine_for(database_url)
    with transaction(session_factory(engine)) as uow:
        found = uow.risk.find_profile(UserId(user))
    engine.dispose()
    return None if found is None else RiskProfile.from_dict(found[1])


def test_patch_me_changes_only_the_fields_sent_and_null_clears(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    first = api.patch("/users/me", token=alice.access, json={"display_name": " Alice ", "email": "a@example.com"})
    assert (first.json()["display_name"], first.json()["email"]) == ("Alice", "a@example.com")
    second = api.patch("/users/me", token=alice.access, json={"email": None})
    assert (second.json()["display_name"], second.json()["email"]) == ("Alice", None)
    assert api.patch("/users/me", token=alice.access, json={}).json()["display_name"] == "Alice"
    bad = api.patch("/users/me", token=alice.access, json={"email": "nope"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("email: String should match pattern")
    assert api.patch("/users/me", token=alice.access, json={"role": "admin"}).json()["detail"] == (
        "role: unknown field"
    )


def test_the_risk_profile_defaults_until_saved(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    body = api.get("/users/me/risk-profile", token=alice.access).json()
    assert body == {"user": "alice", "saved": False, "profile": RiskProfile().to_dict()}


def test_a_saved_risk_profile_is_the_row_the_engine_loads(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    limits = {"max_weight_per_symbol": "0.25", "max_drawdown": 0.1, "allowed_symbols": ["spy", "QQQ"]}
    saved = api.put("/users/me/risk-profile", token=alice.access, json=limits)
    assert saved.status_code == 200
    expected = RiskProfile(max_weight_per_symbol=Decimal("0.25"), max_drawdown=Decimal("0.1"),
                           allowed_symbols=["QQQ", "SPY"])  # fmt: skip
    assert (saved.json()["user"], saved.json()["saved"]) == ("alice", True)
    assert RiskProfile.from_dict(saved.json()["profile"]) == expected
    assert _stored_profile(database_url, "alice") == expected
    assert _stored_profile(database_url, "alice").allowed_symbols == {Symbol("QQQ"), Symbol("SPY")}  # type: ignore[union-attr]
    assert api.get("/users/me/risk-profile", token=alice.access).json() == saved.json()


def test_the_api_and_the_risk_cli_read_and_write_the_same_profile(
    api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUANTDESK_DATABASE_URL", database_url)
    alice = member(api, database_url, "alice")
    assert api.put("/users/me/risk-profile", token=alice.access, json={"max_orders_per_minute": 7}).status_code == 200
    shown = CliRunner().invoke(risk, ["show", "--user", "alice", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["profile"]["max_orders_per_minute"] == 7
    changed = CliRunner().invoke(risk, ["set", "--user", "alice", "--allow-short"])
    assert changed.exit_code == 0, changed.output
    profile = api.get("/users/me/risk-profile", token=alice.access).json()["profile"]
    assert (profile["max_orders_per_minute"], profile["allow_short"]) == (7, True)


@pytest.mark.parametrize(
    ("limits", "detail"),
    [
        (
            {"max_weight_per_symbol": 7},
            "invalid risk profile: max_weight_per_symbol must be at most 4, got 7 "
            "(|position| × price / equity after the order; 1 = all of equity)",
        ),
        ({"max_drawdown": "lots"}, "invalid risk profile: max_drawdown must be a valid decimal, got 'lots'"),
        ({"max_loss": 0.1}, "invalid risk profile: unknown field 'max_loss' (valid: "),
    ],
)
def test_a_bad_risk_profile_is_422_with_the_validation_message_and_nothing_saved(
    api: Api, database_url: str, limits: dict, detail: str
) -> None:
    alice = member(api, database_url, "alice")
    response = api.put("/users/me/risk-profile", token=alice.access, json=limits)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert _stored_profile(database_url, "alice") is None


def test_a_risk_profile_body_must_be_an_object(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    response = api.put("/users/me/risk-profile", token=alice.access, json=[1, 2])
    assert response.status_code == 422
    assert response.json()["detail"] == "body: Input should be a valid dictionary"


def test_broker_credentials_are_stored_encrypted_and_only_the_key_id_s_last_4_are_shown(
    api: Api, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    alice = member(api, database_url, "alice")
    saved = api.put("/users/me/broker-credentials", token=alice.access, json=CREDENTIALS)
    assert saved.status_code == 200
    shown = api.get("/users/me/broker-credentials", token=alice.access)
    assert shown.json() == saved.json()
    assert set(shown.json()) == {"broker", "key_id_last4", "paper", "updated_at"}
    assert (shown.json()["broker"], shown.json()["key_id_last4"], shown.json()["paper"]) == ("alpaca", "1234", True)
    assert "s3cr3t" not in saved.text + shown.text

    with sqlite3.connect(tmp_path / "api.db") as connection:
        ((key_id, ciphertext, paper),) = connection.execute(
            "SELECT key_id, secret_encrypted, paper FROM broker_credentials"
        ).fetchall()
    assert (key_id, paper) == ("PKTEST00000000001234", 1)
    assert "s3cr3t" not in ciphertext
    assert SecretBox(SECRET).decrypt(ciphertext) == "s3cr3t-VALUE-xyz"
    with pytest.raises(ValueError, match="cannot decrypt"):
        SecretBox("another secret key, 32 characters long").decrypt(ciphertext)
    assert "s3cr3t" not in caplog.text


def test_broker_credentials_are_replaced_and_deleted(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    api.put("/users/me/broker-credentials", token=alice.access, json=CREDENTIALS)
    live = {**CREDENTIALS, "key_id": "AKLIVE9876", "paper": False}
    assert api.put("/users/me/broker-credentials", token=alice.access, json=live).json()["key_id_last4"] == "9876"
    assert api.get("/users/me/broker-credentials", token=alice.access).json()["paper"] is False
    assert api.delete("/users/me/broker-credentials", token=alice.access).status_code == 204
    missing = api.get("/users/me/broker-credentials", token=alice.access)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no alpaca credentials saved"})


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"broker": "binance"}, "broker: Input should be 'alpaca'"),
        ({"paper": "yes"}, "paper: Input should be a valid boolean"),
        ({"key_id": "has space"}, "key_id: String should match pattern '^\\S+$'"),
        ({"secret_key": ""}, "secret_key: must be 1 to 500 characters"),
        ({"extra": 1}, "extra: unknown field"),
    ],
)
def test_bad_broker_credentials_are_422_without_echoing_the_secret(
    api: Api, database_url: str, change: dict, detail: str
) -> None:
    alice = member(api, database_url, "alice")
    response = api.put("/users/me/broker-credentials", token=alice.access, json={**CREDENTIALS, **change})
    assert response.status_code == 422
    assert response.json()["detail"] == detail
    assert "s3cr3t" not in response.text
