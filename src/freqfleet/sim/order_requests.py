"""``POST /api/v3/order`` parameters, checked with Binance's rules, codes and texts.

Why here, before the account: a request Binance refuses must leave no trace (no order, no
locked funds), and must be refused with Binance's code so that ccxt raises the class it
raises on Binance: a price off the tick grid ``-1013 Filter failure: PRICE_FILTER`` and a
quantity off the lot grid ``-1013 Filter failure: LOT_SIZE`` (ccxt: ``InvalidOrder``, it
matches those words), an order worth less than the market's minimum ``-1013 Filter
failure: NOTIONAL`` (``BadRequest``: ccxt maps -1013 so), a missing or
contradictory parameter ``-1102``/``-1106`` (``BadRequest``). Order types other than
MARKET and LIMIT are not simulated: logged and refused with ``-1116``. A market order's
notional is checked at the last price (Binance: the 5-minute average price).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from freqfleet.sim import binance_errors as errors
from freqfleet.sim.account import NewOrder
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.markets import SimMarket
from freqfleet.sim.units import ASSET_DECIMALS, parse_units, quote_units

if TYPE_CHECKING:
    from freqfleet.sim.exchange import SimExchange
    from freqfleet.sim.routing import Params

logger = logging.getLogger(__name__)

DECIMAL_PATTERN = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_DECIMAL = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?\Z")
_CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}\Z")
CLIENT_ID_PATTERN = "^[\\.A-Z\\:/a-z0-9_-]{1,36}$"
SIDES = ("BUY", "SELL")
TYPES = ("MARKET", "LIMIT")
OTHER_TYPES = (
    "LIMIT_MAKER",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
)
TIMES_IN_FORCE = ("GTC", "IOC", "FOK")
RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT")
MAX_PRICE = 1_000_000
MAX_QTY = 9_000_000_000
MAX_NOTIONAL = 9_000_000


def filter_failure(name: str) -> BinanceError:
    return BinanceError(-1013, f"Filter failure: {name}")


def not_required(name: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


def _decimal(params: Params, name: str) -> Decimal | None:
    text = params.text(name)
    if text is None:
        return None
    if not _DECIMAL.match(text):
        raise errors.illegal_characters(name, DECIMAL_PATTERN)
    value = Decimal(text)
    if value.scaleb(ASSET_DECIMALS) != value.scaleb(ASSET_DECIMALS).to_integral_value():
        raise BinanceError(-1111, f"Parameter '{name}' has too much precision.")
    return value


def _on_grid(value: Decimal, decimals: int, largest: int, failure: str) -> int:
    """``value`` in units of 10^-decimals; ``Filter failure: failure`` when it is off the
    grid, zero or above ``largest``."""
    units = value.scaleb(decimals)
    if units != units.to_integral_value() or units <= 0 or value > largest:
        raise filter_failure(failure)
    return int(units)


def parse_new_order(
    params: Params, market: int, exchange: SimExchange, now_ms: int
) -> tuple[NewOrder, str]:
    """The order a request asks for and its ``newOrderRespType``; BinanceError when
    Binance would refuse it."""
    spec = exchange.markets[market]
    side = params.required("side")
    if side not in SIDES:
        raise BinanceError(-1117, "Invalid side.")
    kind = params.required("type")
    if kind not in TYPES:
        if kind in OTHER_TYPES:
            logger.warning("Not simulated: order type %s (answered -1116)", kind)
        raise BinanceError(-1116, "Invalid orderType.")
    time_in_force = params.text("timeInForce")
    quantity = _decimal(params, "quantity")
    quote_qty = _decimal(params, "quoteOrderQty")
    price = _decimal(params, "price")
    client_id = params.text("newClientOrderId")
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise errors.illegal_characters("newClientOrderId", CLIENT_ID_PATTERN)
    response = params.text("newOrderRespType") or "FULL"
    if response not in RESPONSE_TYPES:
        raise errors.invalid_data("newOrderRespType")
    stp = params.text("selfTradePreventionMode")
    if stp is not None and stp not in STP_MODES:
        raise errors.invalid_data("selfTradePreventionMode")
    if kind == "LIMIT":
        new = _limit(spec, market, side, time_in_force, quantity, quote_qty, price, client_id)
    else:
        new = replace(
            _market(exchange, market, side, time_in_force, quantity, quote_qty, price, now_ms),
            client_id=client_id,
        )
    return new, response


def _limit(
    spec: SimMarket,
    market: int,
    side: str,
    time_in_force: str | None,
    quantity: Decimal | None,
    quote_qty: Decimal | None,
    price: Decimal | None,
    client_id: str | None,
) -> NewOrder:
    if time_in_force is None:
        raise errors.mandatory("timeInForce")
    if time_in_force not in TIMES_IN_FORCE:
        raise BinanceError(-1115, "Invalid timeInForce.")
    if quantity is None:
        raise errors.mandatory("quantity")
    if price is None:
        raise errors.mandatory("price")
    if quote_qty is not None:
        raise not_required("quoteOrderQty")
    ticks = _on_grid(price, spec.price_decimals, MAX_PRICE, "PRICE_FILTER")
    steps = _on_grid(quantity, spec.amount_decimals, MAX_QTY, "LOT_SIZE")
    _check_notional(spec, quote_units(ticks, steps, spec.price_decimals, spec.amount_decimals))
    if price * quantity > MAX_NOTIONAL:
        raise filter_failure("NOTIONAL")
    return NewOrder(
        market, side, "LIMIT", time_in_force, qty=steps, price=ticks, client_id=client_id
    )


def _market(
    exchange: SimExchange,
    market: int,
    side: str,
    time_in_force: str | None,
    quantity: Decimal | None,
    quote_qty: Decimal | None,
    price: Decimal | None,
    now_ms: int,
) -> NewOrder:
    spec = exchange.markets[market]
    if time_in_force is not None:
        raise not_required("timeInForce")
    if price is not None:
        raise not_required("price")
    if quantity is None and quote_qty is None:
        raise BinanceError(
            -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
        )
    if quantity is not None and quote_qty is not None:
        raise not_required("quoteOrderQty")
    if quote_qty is not None:
        budget = parse_units(quote_qty)
        if budget is None or budget <= 0:
            raise filter_failure("NOTIONAL")
        _check_notional(spec, budget)
        return NewOrder(market, side, "MARKET", quote_qty=budget)
    assert quantity is not None
    steps = _on_grid(quantity, spec.amount_decimals, MAX_QTY, "LOT_SIZE")
    last = exchange.store.live(market, exchange.model.base_ms, now_ms).close
    _check_notional(spec, quote_units(last, steps, spec.price_decimals, spec.amount_decimals))
    return NewOrder(market, side, "MARKET", qty=steps)


def _check_notional(spec: SimMarket, value: int) -> None:
    """``NOTIONAL.minNotional``: the order's quote value (units) must reach it."""
    minimum = parse_units(f"{spec.min_notional:.8f}") or 0
    if value < minimum:
        raise filter_failure("NOTIONAL")


__all__ = ["filter_failure", "parse_new_order"]
