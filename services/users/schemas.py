"""Bodies and answers of the users endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, StrictBool, StringConstraints, field_validator

from quantdesk.persistence import BrokerCredential, Role
from quantdesk.persistence.users import MAX_PASSWORD_LENGTH
from services.common.schemas import PASSWORD_RULE, DisplayName, Email, RequestBody, checked_password

Broker = Literal["alpaca"]


class ProfileIn(RequestBody):
    """The fields to change; a field sent as null is cleared, a field left out keeps its value."""

    email: Email | None = None
    display_name: DisplayName | None = None


class PasswordChangeIn(RequestBody):
    current_password: Annotated[SecretStr, Field(max_length=MAX_PASSWORD_LENGTH)]
    new_password: SecretStr = Field(description=PASSWORD_RULE)

    _new_password = field_validator("new_password")(checked_password)


class RoleIn(RequestBody):
    role: Role


class RiskProfileOut(BaseModel):
    user: str = Field(description="the user id the risk engine knows (the username)")
    saved: bool = Field(description="false: nothing saved yet, these are the defaults the engine applies")
    profile: dict[str, Any]


class BrokerCredentialsIn(RequestBody):
    broker: Broker
    key_id: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")]
    secret_key: SecretStr
    paper: StrictBool = Field(description="true for a paper-trading account, false for real money")

    @field_validator("secret_key")
    @classmethod
    def _secret_length(cls, value: SecretStr) -> SecretStr:
        if not 1 <= len(value.get_secret_value()) <= 500:
            raise ValueError("must be 1 to 500 characters")
        return value


class BrokerCredentialsOut(BaseModel):
    """What is shown of stored credentials: never the secret, only the last 4 characters of the key id."""

    broker: str
    key_id_last4: str
    paper: bool
    updated_at: datetime

    @classmethod
    def of(cls, credential: BrokerCredential) -> BrokerCredentialsOut:
        return cls(
            broker=credential.broker,
            key_id_last4=credential.key_id[-4:],
            paper=credential.paper,
            updated_at=credential.updated_at,
        )
