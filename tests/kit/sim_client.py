"""Requests to an in-process simulator app (a ``TestClient``), as the simulator's tests
make them."""

from __future__ import annotations

from fastapi.testclient import TestClient


def klines(client: TestClient, **params) -> list[list]:
    response = client.get("/api/v3/klines", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def error_of(response) -> tuple[int, int]:
    body = response.json()
    assert set(body) == {"code", "msg"} and body["msg"]
    return response.status_code, body["code"]
