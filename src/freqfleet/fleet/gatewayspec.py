"""``fleet.gateway``: run the shared market-data gateway in front of the fleet's bots.

    "gateway": true                                  // the defaults below
    "gateway": {"listen_port": 8490, "share": 0.5}   // or settings
    "gateway": {"weight_limit": 1200, "share": 0.9}  // an exchange limit not the profile's

Why in the fleet section: the plan points every bot's public market-data URLs at the
gateway and ``up`` starts it first, so the fleet spends one request-weight budget.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from freqfleet.gateway import DEFAULT_LIVE_TTL, DEFAULT_PORT, DEFAULT_SHARE
from freqfleet.problems import fix as _fix
from freqfleet.problems import settings_config


class GatewaySpec(BaseModel):
    """Where the gateway listens and how much of the exchange's limit the fleet may use."""

    model_config = settings_config("gateway")

    listen_port: int = Field(
        DEFAULT_PORT,
        ge=1024,
        le=65535,
        json_schema_extra=_fix(f"use a free port between 1024 and 65535 (default {DEFAULT_PORT})"),
    )
    share: float = Field(
        DEFAULT_SHARE,
        gt=0,
        le=1,
        json_schema_extra=_fix(
            f"use the fraction of the exchange's weight limit the fleet may use, above 0 "
            f"and at most 1 (default {DEFAULT_SHARE})"
        ),
    )
    weight_limit: int | None = Field(
        None,
        ge=1,
        json_schema_extra=_fix(
            "use the exchange's request weight a minute, a whole number of at least 1, or "
            "leave it out for the exchange's own (Binance: 6000)"
        ),
    )
    live_ttl: float = Field(
        DEFAULT_LIVE_TTL,
        gt=0,
        le=60,
        json_schema_extra=_fix(
            f"use seconds above 0, at most 60, the candle in progress is reused "
            f"(default {DEFAULT_LIVE_TTL:g})"
        ),
    )
    upstream: str | None = Field(
        None,
        pattern=r"^https?://[^/]+",
        json_schema_extra=_fix(
            "use the exchange's REST base URL, or leave it out to take the one the bots use"
        ),
    )

    @field_validator("share", "live_ttl", mode="before")
    @classmethod
    def _whole_numbers_too(cls, value: object) -> object:
        """1 is as good as 1.0 (strict mode would refuse an integer)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value


__all__ = ["GatewaySpec"]
