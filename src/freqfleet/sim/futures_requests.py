"""``POST /fapi/v1/order`` parameters, checked with Binance USD-M's rules, codes and texts.

Why before the account: a refused request must leave no trace, and must be refused with
the code ccxt maps to the class freqtrade reacts to: a price off the tick ``-4014``, a
quantity off the step ``-1111``, below the minimum notional ``-4164`` (reduce-only orders
are exempt), a side, type or time in force Binance does not know ``-1117``/``-1116``/
``-1115``. Stop and take-profit orders, hedge-mode position sides and ``GTX``/``GTD`` are
not simulated: logged and refused.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import TYPE_CHECKING

from freqfleet.sim import binance_errors as errors
from freqfleet.sim import futures_margin as fm
from freqfleet.sim.binance_errors import BinanceError
from freqfleet.sim.futures_records import NewFuturesOrder
from freqfleet.sim.order_requests import CLIENT_ID_PATTERN, DECIMAL_PATTERN, not_required
from freqfleet.sim.units import UNIT

if TYPE_CHECKING:
    from freqfleet.sim.futures_account import FuturesAccount
    from freqfleet.sim.routing import Params

logger = logging.getLogger(__name__)

_DECIMAL = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?\Z")
_CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}\Z")
TIMES_IN_FORCE = ("GTC", "IOC", "FOK")
OTHER_TYPES = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
MAX_QTY = 9_000_000
MAX_PRICE = 1_000_000


def _decimal(params: Params, name: str) -> Decimal | None:
    text = params.text(name)
    if text is None:
        return None
    if not _DECIMAL.match(text):
        raise errors.illegal_characters(name, DECIMAL_PATTERN)
    return Decimal(text)


def _boolean(params: Params, name: str) -> bool:
    text = params.text(name)
    if text is None:
        return False
    if text.lower() not in ("true", "false"):
        raise errors.invalid_data(name)
    return text.lower() == "true"


def _price_ticks(
    kind: str, price: Decimal | None, time_in_force: str | None, price_decimals: int
) -> int:
    """A LIMIT order's price in ticks (with its time in force checked); 0 for MARKET,
    which takes neither."""
    if kind != "LIMIT":
        if price is not None:
            raise not_required("price")
        if time_in_force is not None:
            raise not_required("timeInForce")
        return 0
    if time_in_force is None:
        raise errors.mandatory("timeInForce")
    if time_in_force not in TIMES_IN_FORCE:
        raise BinanceError(-1115, "Invalid timeInForce.")
    if price is None:
        raise errors.mandatory("price")
    ticks = _grid(price, price_decimals, -4014, "Price not increased by tick size.")
    if ticks <= 0:
        raise BinanceError(-4013, "Price less than min price.")
    if price > MAX_PRICE:
        raise BinanceError(-4016, "Price greater than max price.")
    return ticks


def parse_futures_order(
    params: Params, market: int, account: FuturesAccount, now_ms: int
) -> tuple[NewFuturesOrder, str]:
    """The order a request asks for and its ``newOrderRespType`` (ACK, RESULT)."""
    spec = account.markets[market]
    side = params.required("side")
    if side not in ("BUY", "SELL"):
        raise BinanceError(-1117, "Invalid side.")
    kind = params.required("type")
    if kind not in ("MARKET", "LIMIT"):
        if kind in OTHER_TYPES:
            logger.warning("Not simulated: futures order type %s (answered -1116)", kind)
        raise BinanceError(-1116, "Invalid orderType.")
    position_side = params.text("positionSide") or "BOTH"
    if position_side != "BOTH":
        raise BinanceError(-4061, "Order's position side does not match user's setting.")
    reduce_only = _boolean(params, "reduceOnly")
    quantity = _decimal(params, "quantity")
    price = _decimal(params, "price")
    time_in_force = params.text("timeInForce")
    client_id = params.text("newClientOrderId")
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise errors.illegal_characters("newClientOrderId", CLIENT_ID_PATTERN)
    response = params.text("newOrderRespType") or "ACK"
    if response not in ("ACK", "RESULT"):
        raise errors.invalid_data("newOrderRespType")
    for ignored in ("workingType", "priceProtect", "selfTradePreventionMode", "priceMatch"):
        params.text(ignored)
    if quantity is None:
        raise errors.mandatory("quantity")
    steps = _grid(
        quantity,
        spec.amount_decimals,
        -1111,
        "Precision is over the maximum defined for this asset.",
    )
    if steps <= 0:
        raise BinanceError(-4003, "Quantity less than or equal to zero.")
    if quantity > MAX_QTY:
        raise BinanceError(-4005, "Quantity greater than max quantity.")
    ticks = _price_ticks(kind, price, time_in_force, spec.price_decimals)
    value_ticks = ticks or account.mark(market, now_ms)
    if not reduce_only and fm.notional(spec, value_ticks, steps) < spec.min_notional * UNIT:
        raise BinanceError(
            -4164,
            f"Order's notional must be no smaller than {spec.min_notional} "
            "(unless you choose reduce only).",
        )
    new = NewFuturesOrder(
        market, side, kind, steps, time_in_force or "GTC", ticks, reduce_only, client_id
    )
    return new, response


def _grid(value: Decimal, decimals: int, code: int, msg: str) -> int:
    units = value.scaleb(decimals)
    if units != units.to_integral_value():
        raise BinanceError(code, msg)
    return int(units)


__all__ = ["parse_futures_order"]
