"""Producer trade messages exactly as they arrive on the consumer's websocket.

Built with every key of freqtrade's ``RPCEntryMsg`` / ``RPCExitMsg`` and serialised with
the producer's own websocket serialiser (orjson), so dates arrive as ISO strings.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson
from freqtrade.rpc.api_server.ws.serializer import _json_default


def wire(msg: dict[str, Any]) -> dict[str, Any]:
    """What the consumer decodes after the producer sent ``msg``."""
    return json.loads(orjson.dumps(msg, default=_json_default))


def _base(trade_id: int, pair: str, open_date: datetime, **kw: Any) -> dict[str, Any]:
    rate = kw.pop("open_rate", 100.0)
    msg = {
        "trade_id": trade_id,
        "buy_tag": kw.get("enter_tag"),
        "enter_tag": kw.pop("enter_tag", None),
        "exchange": "Binance",
        "pair": pair,
        "base_currency": pair.split("/")[0],
        "quote_currency": pair.split("/")[1],
        "leverage": 1.0,
        "direction": kw.pop("direction", "Long"),
        "limit": rate,
        "order_rate": rate,
        "open_rate": rate,
        "order_type": "market",
        "stake_amount": kw.pop("stake_amount", 100.0),
        "stake_currency": "USDT",
        "fiat_currency": None,
        "amount": kw.pop("amount", 1.0),
        "open_date": open_date,
        "current_rate": None,
        "sub_trade": kw.pop("sub_trade", False),
    }
    msg.update(kw)
    return msg


def entry_fill(
    trade_id: int, pair: str, open_date: datetime, *, enter_tag: str | None = None, **kw: Any
) -> dict[str, Any]:
    return wire(
        {"type": "entry_fill", **_base(trade_id, pair, open_date, enter_tag=enter_tag, **kw)}
    )


def entry(trade_id: int, pair: str, open_date: datetime, **kw: Any) -> dict[str, Any]:
    return wire({"type": "entry", **_base(trade_id, pair, open_date, **kw)})


def exit_fill(
    trade_id: int,
    pair: str,
    open_date: datetime,
    close_date: datetime,
    *,
    exit_reason: str = "exit_signal",
    is_final_exit: bool = True,
    **kw: Any,
) -> dict[str, Any]:
    msg = _base(trade_id, pair, open_date, **kw)
    msg.update(
        {
            "type": "exit_fill",
            "cumulative_profit": 0.0,
            "gain": "profit",
            "close_rate": msg["open_rate"],
            "profit_amount": 0.0,
            "profit_ratio": 0.0,
            "exit_reason": exit_reason,
            "close_date": close_date,
            "final_profit_ratio": 0.0 if is_final_exit else None,
            "is_final_exit": is_final_exit,
        }
    )
    return wire(msg)


def exit_(trade_id: int, pair: str, open_date: datetime, close_date: datetime, **kw: Any):
    msg = exit_fill(trade_id, pair, open_date, close_date, **kw)
    msg["type"] = "exit"
    return msg
