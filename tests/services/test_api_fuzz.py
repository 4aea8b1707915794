"""Any JSON at all, sent to any endpoint with a body, gets an answer below 500 with the error shape."""

from __future__ import annotations

import hypothesis
import pytest
from apitest import *  # noqa: F403 - the API fixtures
from apitest import Api, Member, member
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from quantdesk.persistence import Role

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["username", "password", "email", "display_name", "refresh_token", "current_password", "new_password",
          "broker", "key_id", "secret_key", "paper", "role", "max_weight_per_symbol", "max_order_notional",
          "allowed_symbols", "allow_short", "max_orders_per_minute"]  # fmt: skip
PLAUSIBLE = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=5)
ENDPOINTS = [
    ("POST", "/auth/register"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("PATCH", "/users/me"),
    ("POST", "/users/me/password"),
    ("PUT", "/users/me/risk-profile"),
    ("PUT", "/users/me/broker-credentials"),
    ("PUT", "/users/{admin}/role"),
]


@pytest.fixture
def admin(api: Api, database_url: str) -> Member:
    """One admin for every example (a fixture is set up once per test, not per example)."""
    return member(api, database_url, "fuzz-admin", Role.ADMIN)


@hypothesis.settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ENDPOINTS), body=PLAUSIBLE | JSON)
def test_no_json_body_makes_the_api_fail(api: Api, admin: Member, endpoint: tuple[str, str], body: object) -> None:
    method, path = endpoint
    response = api.request(method, path.format(admin=admin.id), token=admin.access, json=body)  # checked()
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_json_numbers_are_refused(api: Api, admin: Member, literal: bytes) -> None:
    body = b'{"max_order_notional": ' + literal + b"}"
    headers = {"Content-Type": "application/json"}
    response = api.put("/users/me/risk-profile", token=admin.access, content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("invalid risk profile: max_order_notional must be a finite number")
