"""A signed client of the simulator's in-process app, as ccxt signs (timestamp, HMAC), for
the spot and futures account endpoint tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi.testclient import TestClient

from freqfleet.sim.account import Account
from freqfleet.sim.account_file import random_credential
from freqfleet.sim.signing import API_KEY_HEADER, sign
from tests.kit.clock import Clock

KEY, SECRET = random_credential(), random_credential()
FAR_BELOW = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}


class Api:
    """A client of the in-process app that signs as ccxt does (timestamp, HMAC)."""

    def __init__(self, client: TestClient, clock: Clock, account: Account) -> None:
        self.client = client
        self.clock = clock
        self.account = account

    def call(
        self,
        method: str,
        path: str,
        in_body: bool = False,
        key: str | None = KEY,
        secret: str = SECRET,
        **params: Any,
    ) -> httpx.Response:
        params.setdefault("timestamp", self.clock.now_ms)
        payload = urlencode(params)
        signed = f"{payload}&signature={sign(secret, payload)}"
        headers = {} if key is None else {API_KEY_HEADER: key}
        if in_body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.client.request(method, path, content=signed, headers=headers)
        return self.client.request(method, f"{path}?{signed}", headers=headers)

    def ok(self, method: str, path: str, **params: Any) -> Any:
        answer = self.call(method, path, **params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def refused(self, method: str, path: str, **params: Any) -> tuple[int, int, str]:
        answer = self.call(method, path, **params)
        body = answer.json()
        assert set(body) == {"code", "msg"}
        return answer.status_code, body["code"], body["msg"]

    def order(self, **params: Any) -> httpx.Response:
        """A new order, its parameters in the body as ccxt sends them."""
        return self.call("POST", "/api/v3/order", in_body=True, **params)

    def resting_buy(self, **params: Any) -> httpx.Response:
        """A buy at 1,000 USDT: far below the market, it rests."""
        return self.order(**FAR_BELOW, quantity="0.01", price="1000.0", **params)

    def snapshot(self) -> dict[str, Any]:
        answer = self.client.get("/sim/account")
        assert answer.status_code == 200
        return dict(answer.json())


__all__ = ["FAR_BELOW", "KEY", "SECRET", "Api"]
