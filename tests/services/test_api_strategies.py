"""The strategies the API offers, the registry of promoted versions, and promotion through the gates."""

from __future__ import annotations

from apitest import *  # noqa: F403 - the API fixtures
from apitest import Api
from tradingtest import SEED_PARAMS, members, seed_version, settings  # noqa: F401 - settings: the bundled catalog

from quantdesk.strategy.registry import list_strategies

PROMOTE = {
    "name": "mr-ibm",
    "strategy": "mean_reversion",
    "symbols": ["IBM"],
    "params": {"window": 10},
    "start": "2012-01-01",
    "end": "2012-12-31",
}


def test_the_strategies_are_listed_with_the_json_schema_of_their_parameters(api: Api, database_url: str) -> None:
    alice = members(api, database_url, "alice")["alice"]
    listed = api.get("/strategies", token=alice.access).json()
    assert [s["name"] for s in listed] == [info.name for info in list_strategies()]
    reversion = next(s for s in listed if s["name"] == "mean_reversion")
    assert reversion["path"] == "strategies.mean_reversion:MeanReversion"
    assert reversion["default_symbols"]
    assert reversion["symbol_count"] == 1
    assert set(reversion["params_schema"]["properties"]) >= {"window", "entry", "exit"}
    assert reversion["defaults"]["window"] == reversion["params_schema"]["properties"]["window"]["default"]
    assert next(s for s in listed if s["name"] == "pairs_arbitrage")["symbol_count"] == 2


def test_the_registry_lists_every_version_and_one_name_s_versions(api: Api, database_url: str) -> None:
    alice = members(api, database_url, "alice")["alice"]
    assert api.get("/registry", token=alice.access).json() == []
    seed_version(database_url, "mr")
    seed_version(database_url, "mr")
    seed_version(database_url, "other")
    registry = api.get("/registry", token=alice.access).json()
    assert [(v["name"], v["version"]) for v in registry] == [("mr", 1), ("mr", 2), ("other", 1)]
    first = registry[0]
    assert (first["params"], first["code_hash"], first["strategy_path"]) == (
        SEED_PARAMS, "test", "strategies.mean_reversion:MeanReversion")  # fmt: skip
    assert (first["data_range_start"], first["data_range_end"]) == ("2012-01-01T00:00:00Z", "2012-04-30T00:00:00Z")
    assert first["metrics"]["costs"]["fees"]["rate"] == 0.001
    assert first["gates"] == {}
    assert [v["version"] for v in api.get("/registry/mr/versions", token=alice.access).json()] == [1, 2]
    missing = api.get("/registry/nope/versions", token=alice.access)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no promoted strategy nope in the registry"})


def test_promotion_runs_the_gates_records_the_version_and_a_failing_gate_is_422_and_records_nothing(
    api: Api, database_url: str
) -> None:
    alice = members(api, database_url, "alice")["alice"]
    promoted = api.post("/registry/promote", token=alice.access, json=PROMOTE)
    assert promoted.status_code == 201, promoted.text
    body = promoted.json()
    assert (body["name"], body["promoted"], body["version"]) == ("mr-ibm", True, 1)
    assert [(g["name"], g["passed"]) for g in body["gates"]] == [("causality", True), ("parity", True)]
    stored = api.get("/registry/mr-ibm/versions", token=alice.access).json()
    assert len(stored) == 1
    assert stored[0]["gates"] == {g["name"]: {"passed": True, "detail": g["detail"]} for g in body["gates"]}
    assert stored[0]["metrics"]["full"]["final_equity"] == body["metrics"]["final_equity"]
    assert stored[0]["params"]["symbols"] == ["IBM"]
    assert len(stored[0]["data_hash"]) == 64

    refused = api.post("/registry/promote", token=alice.access,
                       json={**PROMOTE, "oos_start": "2012-07-01", "min_sharpe": 50})  # fmt: skip
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail.startswith("mr-ibm was not promoted (gate min_sharpe failed: out-of-sample Sharpe: ")
    assert detail.endswith("(required 50)); nothing was recorded")
    assert len(api.get("/registry/mr-ibm/versions", token=alice.access).json()) == 1

    no_data = api.post("/registry/promote", token=alice.access, json={**PROMOTE, "start": "2031-01-01", "end": None})
    assert (no_data.status_code, no_data.json()["detail"]) == (
        422,
        "no bars between 2031-01-01 and the end where IBM all have data",
    )
