import dataclasses

import pytest

from quantdesk.model import (
    ClientOrderId,
    DeploymentId,
    Identifier,
    InvalidIdentifier,
    QuantdeskError,
    StrategyId,
    Symbol,
    TradeId,
    UserId,
    VenueOrderId,
)

OTHER_ID_TYPES = [ClientOrderId, VenueOrderId, TradeId, DeploymentId, StrategyId, UserId]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("AAPL", "AAPL"),
        ("aapl", "AAPL"),
        ("BRK.B", "BRK.B"),
        ("btc/usd", "BTC/USD"),
        ("ES-2024", "ES-2024"),
        ("SPX_W", "SPX_W"),
        ("7203", "7203"),
    ],
)
def test_symbol_is_upper_cased(text: str, value: str) -> None:
    assert Symbol(text).value == value
    assert str(Symbol(text)) == value


@pytest.mark.parametrize("text", ["", " AAPL", "AA PL", "AAPL\n", "$AAPL", ".A", "/USD", "A+B", "AÄ"])
def test_symbol_with_characters_not_allowed_is_refused(text: str) -> None:
    with pytest.raises(InvalidIdentifier):
        Symbol(text)


@pytest.mark.parametrize("id_type", OTHER_ID_TYPES)
@pytest.mark.parametrize("text", ["", " ", "a b", "tab\there", "nul\x00", "x\n"])
def test_identifier_empty_or_with_whitespace_is_refused(id_type: type[Identifier], text: str) -> None:
    with pytest.raises(InvalidIdentifier):
        id_type(text)


@pytest.mark.parametrize("id_type", [Symbol, *OTHER_ID_TYPES])
def test_identifier_that_is_not_a_str_is_refused(id_type: type[Identifier]) -> None:
    with pytest.raises(InvalidIdentifier, match="must be a str"):
        id_type(123)  # type: ignore[arg-type]


@pytest.mark.parametrize("id_type", OTHER_ID_TYPES)
def test_identifier_keeps_its_value_and_case(id_type: type[Identifier]) -> None:
    ident = id_type("Ord-1:a/b")
    assert ident.value == "Ord-1:a/b"
    assert str(ident) == "Ord-1:a/b"


def test_identifiers_of_different_kinds_are_never_equal() -> None:
    assert ClientOrderId("x1") != TradeId("x1")
    assert ClientOrderId("x1") == ClientOrderId("x1")
    assert len({ClientOrderId("x1"), ClientOrderId("x1"), VenueOrderId("x1")}) == 2


def test_identifier_is_immutable() -> None:
    ident = ClientOrderId("o1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ident.value = "o2"  # type: ignore[misc]


def test_invalid_identifier_is_a_quantdesk_error_and_a_value_error() -> None:
    assert issubclass(InvalidIdentifier, QuantdeskError)
    assert issubclass(InvalidIdentifier, ValueError)
