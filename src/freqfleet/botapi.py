"""Calls to a freqtrade bot's REST API (``/api/v1``), checked where the answers arrive.

One client for every place that asks a bot something: ``freqfleet status``, the demo's
trade count, the consumer's start-up timeframe check and its catch-up with a producer's
trades. Why not ``freqtrade_client.FtRestClient``: it logs and returns ``None`` on a
connection error, returns a rejected login as ``{"detail": ...}`` like any answer, and
keeps its session private (no public way to close it). Here every failure is one
exception, :class:`BotApiError`, whose message is a short state ("unreachable",
"credentials rejected", "not a freqtrade API") fit for a table cell or a log line and
never carrying the password; every answer is checked to have the JSON shape asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

DEFAULT_TIMEOUT = 10.0
"""Seconds to connect and to wait for an answer."""


class BotApiError(Exception):
    """The bot did not answer usefully; the message is what to show (no secret in it)."""


class BotApi:
    """A freqtrade bot's REST API at ``url`` (``http://host:port``), with its login."""

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url.rstrip("/")
        auth = (username, password or "") if username else None
        self._client = httpx.Client(
            base_url=f"{self.url}/api/v1",
            auth=auth,
            timeout=timeout,
            headers={"Accept": "application/json"},
        )

    @classmethod
    def from_link(
        cls, access: Mapping[str, Any] | None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> BotApi | None:
        """A producer's API from its ``fleet.producer_api`` entry (``url``, ``username``,
        ``password``); None when the entry gives no url."""
        if not isinstance(access, Mapping):
            return None
        url = access.get("url")
        if not isinstance(url, str) or not url:
            return None
        username = access.get("username")
        password = access.get("password")
        return cls(
            url,
            username if isinstance(username, str) else None,
            password if isinstance(password, str) else None,
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"BotApi({self.url!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> BotApi:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- one call, checked ------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        """The decoded JSON answer to ``GET /api/v1/<path>``; parameters set to None are
        left out."""
        query = {key: value for key, value in params.items() if value is not None}
        return self._call("GET", path, query)

    def post(self, path: str) -> Any:
        """The decoded JSON answer to ``POST /api/v1/<path>`` (no body)."""
        return self._call("POST", path, {})

    def _call(self, method: str, path: str, query: dict[str, Any]) -> Any:
        try:
            response = self._client.request(method, path, params=query)
        except httpx.ConnectError:
            raise BotApiError("unreachable") from None
        except httpx.HTTPError as error:
            raise BotApiError(f"unreachable ({type(error).__name__})") from None
        if response.status_code in (401, 403):
            raise BotApiError("credentials rejected")
        try:
            answer = response.json()
        except ValueError:  # not JSON: something else listens on that port
            raise BotApiError("not a freqtrade API") from None
        if not response.is_success:
            detail = answer.get("detail") if isinstance(answer, dict) else None
            raise BotApiError(f"error: {detail or response.status_code}")
        return answer

    def get_object(self, path: str, **params: Any) -> dict[str, Any]:
        answer = self.get(path, **params)
        if not isinstance(answer, dict):
            raise BotApiError(f"unexpected answer to /api/v1/{path} (not an object)")
        return answer

    def get_list(self, path: str, **params: Any) -> list[Any]:
        answer = self.get(path, **params)
        if not isinstance(answer, list):
            raise BotApiError(f"unexpected answer to /api/v1/{path} (not a list)")
        return answer

    # -- the endpoints freqfleet reads ------------------------------------------------

    def show_config(self) -> dict[str, Any]:
        return self.get_object("show_config")

    def version(self) -> dict[str, Any]:
        return self.get_object("version")

    def health(self) -> dict[str, Any]:
        return self.get_object("health")

    def whitelist(self) -> list[str]:
        pairs = self.get_object("whitelist").get("whitelist")
        if not isinstance(pairs, list):
            raise BotApiError("unexpected answer to /api/v1/whitelist (no whitelist)")
        return [str(pair) for pair in pairs]

    def count(self) -> dict[str, Any]:
        return self.get_object("count")

    def balance(self) -> dict[str, Any]:
        return self.get_object("balance")

    def pair_candles(self, pair: str, timeframe: str, limit: int | None = None) -> dict[str, Any]:
        return self.get_object("pair_candles", pair=pair, timeframe=timeframe, limit=limit)

    def open_trades(self) -> list[dict[str, Any]]:
        """The open trades (``/status``)."""
        return _trade_list(self.get_list("status"), "status")

    def reload_config(self) -> None:
        """Ask the bot to rebuild itself from its config files in the same process
        (freqtrade's worker does it after the current loop)."""
        self.post("reload_config")

    def trades(
        self, limit: int | None = None, *, newest_first: bool = False
    ) -> list[dict[str, Any]]:
        """Closed trades (``/trades``): by id, or the most recently closed first."""
        answer = self.get_object("trades", limit=limit, order_by_id=False if newest_first else None)
        trades = answer.get("trades")
        if not isinstance(trades, list):
            raise BotApiError("unexpected answer to /api/v1/trades (no trades)")
        return _trade_list(trades, "trades")


def _trade_list(items: list[Any], path: str) -> list[dict[str, Any]]:
    if not all(isinstance(item, dict) for item in items):
        raise BotApiError(f"unexpected answer to /api/v1/{path} (a trade is not an object)")
    return items


__all__ = ["DEFAULT_TIMEOUT", "BotApi", "BotApiError"]
