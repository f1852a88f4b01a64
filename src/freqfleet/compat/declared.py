"""Every freqtrade (and pandas) internal freqfleet uses: the one list.

The start-up check (``checks``) and the patch registry (``patches``) read this list:
a feature starts only when every internal it needs is here as declared, and nothing is
patched that is not declared here as a patch of that owner. Parameters are those
freqfleet passes, receives or reads; ``exact`` where a replacement receives freqtrade's
own calls (a new parameter would fail inside the bot's loop).
"""

from __future__ import annotations

from freqfleet.compat.behaviour import (
    add_stores_through_replace,
    channels_opened_with_a_spacing,
    dp_set_before_message_consumer,
    executes_strategy_files_afresh,
    klines_read_the_cache,
    marks_informative_functions,
    reconfigure_cleans_up_first,
    refresh_asks_the_exchange,
)
from freqfleet.compat.model import Feature, Internal, Owner, Undo, Use

DATAPROVIDER = Owner("freqtrade.data.dataprovider", "DataProvider")
STRATEGY = Owner("freqtrade.strategy", "IStrategy")
INFORMATIVE = Owner("freqtrade.strategy", "informative")
BOT = Owner("freqtrade.freqtradebot", "FreqtradeBot")
EXCHANGE = Owner("freqtrade.exchange", "Exchange")
ORDER = Owner("freqtrade.persistence", "Order")
SERIALIZER = Owner("freqtrade.rpc.api_server.ws.serializer")
BACKTESTING = Owner("freqtrade.optimize.backtesting", "Backtesting")
WALLETS = Owner("freqtrade.wallets", "Wallets")
ENVIRONMENT = Owner("freqtrade.configuration.environment_vars")
RESOLVER = Owner("freqtrade.resolvers.strategy_resolver", "StrategyResolver")
WORKER = Owner("freqtrade.worker", "Worker")
MESSAGE_CONSUMER_MODULE = Owner("freqtrade.rpc.external_message_consumer")
MESSAGE_CONSUMER = Owner("freqtrade.rpc.external_message_consumer", "ExternalMessageConsumer")
FRAME = Owner("pandas", "DataFrame")

CONSUMER = (Feature.CONSUMER,)
CANDLES = (Feature.PRODUCER_CANDLES,)
PRICES = (Feature.EXIT_PRICES, Feature.LIVE_ORDERS)
"""The pricing and order path is patched for both (``pricing``)."""
ORDERS = (Feature.LIVE_ORDERS,)
TICKERS = (Feature.PRODUCER_TICKERS,)
BACKTEST = (Feature.BACKTEST,)
PLAN = (Feature.PLAN,)
RELOAD = (Feature.STRATEGY_RELOAD,)
ENTRY_BOOKS = (Feature.ENTRY_BOOKS,)
"""Not needed to run: without it a consumer enters as freqtrade does (``entry_books``)."""
FRAME_REQUESTS = (Feature.FRAME_REQUESTS,)
"""Not needed to run: without it a consumer asks for frames at freqtrade's pace."""

EXTERNAL_DF = ("pair", "dataframe", "last_analyzed", "timeframe", "candle_type", "producer_name")
CREATE_ORDER = (
    "pair",
    "ordertype",
    "side",
    "amount",
    "rate",
    "leverage",
    "time_in_force",
    "reduceOnly",
    "initial_order",
)


def _instance(
    owner: Owner,
    name: str,
    use: Use,
    features: tuple[Feature, ...],
    *parameters: str,
    exact: bool = False,
    optional: bool = False,
) -> Internal:
    """A method patched on one object (the bot's DataProvider, Exchange, strategy)."""
    return Internal(
        owner, name, use, features, parameters, exact=exact, undo=Undo.DELETE, optional=optional
    )


def _class(
    owner: Owner,
    name: str,
    use: Use,
    features: tuple[Feature, ...],
    *parameters: str,
    exact: bool = False,
    optional: bool = False,
) -> Internal:
    """A function patched on its class or module, for the whole process."""
    return Internal(
        owner, name, use, features, parameters, exact=exact, undo=Undo.RESTORE, optional=optional
    )


def _call(owner: Owner, name: str, features: tuple[Feature, ...], *parameters: str) -> Internal:
    return Internal(owner, name, Use.CALL, features, parameters)


def _callback(name: str, *reads: str) -> Internal:
    """A strategy callback the consumer answers for while a pair has no data
    (``strategy.callbacks``): it takes the pair or the trade, and what the answer reads."""
    return _instance(STRATEGY, name, Use.WRAP, CONSUMER, "pair or trade", *reads)


DECLARED: tuple[Internal, ...] = (
    # -- the consumer: producer frames in, one analysed frame per pair out ----------------
    _instance(DATAPROVIDER, "_add_external_df", Use.WRAP, CONSUMER, *EXTERNAL_DF, exact=True),
    _instance(DATAPROVIDER, "_replace_external_df", Use.WRAP, CONSUMER, *EXTERNAL_DF, exact=True),
    _instance(
        DATAPROVIDER,
        "_set_producer_pairs",
        Use.WRAP,
        CONSUMER,
        "pairlist",
        "producer_name",
        exact=True,
    ),
    _call(
        DATAPROVIDER, "_set_cached_df", CONSUMER, "pair", "timeframe", "dataframe", "candle_type"
    ),
    Internal(
        DATAPROVIDER,
        "_add_external_df",
        Use.RELY,
        CONSUMER,
        behaviour=add_stores_through_replace,
        relied_on="storing frames through _replace_external_df",
    ),
    Internal(
        BOT,
        "__init__",
        Use.RELY,
        CONSUMER,
        behaviour=dp_set_before_message_consumer,
        relied_on="setting strategy.dp before it starts the ExternalMessageConsumer",
    ),
    # Producer frames asked for without freqtrade's half-second spacing (``frame_requests``).
    _class(
        MESSAGE_CONSUMER_MODULE,
        "create_channel",
        Use.WRAP,
        FRAME_REQUESTS,
        "websocket",
        optional=True,
    ),
    Internal(
        MESSAGE_CONSUMER,
        "_create_connection",
        Use.RELY,
        FRAME_REQUESTS,
        optional=True,
        behaviour=channels_opened_with_a_spacing,
        relied_on="opening producer channels through create_channel(send_throttle=...)",
    ),
    _instance(STRATEGY, "analyze", Use.REPLACE, CONSUMER, "pairs", exact=True),
    _instance(
        STRATEGY,
        "get_entry_signal",
        Use.WRAP,
        CONSUMER,
        "pair",
        "timeframe",
        "dataframe",
        exact=True,
    ),
    _instance(STRATEGY, "gather_informative_pairs", Use.WRAP, CONSUMER, exact=True),
    _class(BOT, "create_trade", Use.WRAP, CONSUMER, "pair", exact=True),
    # A loop's entry books fetched together (``entry_books``).
    _class(
        BOT, "enter_positions", Use.WRAP, ENTRY_BOOKS, "free_trade_slots", exact=True, optional=True
    ),
    _class(
        EXCHANGE,
        "fetch_l2_order_book",
        Use.WRAP,
        ENTRY_BOOKS,
        "pair",
        "limit",
        exact=True,
        optional=True,
    ),
    Internal(EXCHANGE, "_loop_lock", Use.READ, ENTRY_BOOKS, optional=True),
    # A dry-run consumer's wallet recomputed after database writes only (``dry_wallet``,
    # installed by ``entry_books``).
    _instance(
        WALLETS, "update", Use.WRAP, ENTRY_BOOKS, "require_update", exact=True, optional=True
    ),
    _instance(STRATEGY, "ft_bot_cleanup", Use.WRAP, (*CONSUMER, *TICKERS), exact=True),
    _instance(STRATEGY, "bot_start", Use.WRAP, (*CONSUMER, *TICKERS)),
    _instance(STRATEGY, "bot_loop_start", Use.WRAP, (*CONSUMER, *TICKERS), "current_time"),
    _instance(
        STRATEGY,
        "custom_exit",
        Use.WRAP,
        CONSUMER,
        "pair",
        "trade",
        "current_time",
        "current_rate",
        "current_profit",
    ),
    _instance(STRATEGY, "adjust_trade_position", Use.WRAP, CONSUMER, "trade", "current_time"),
    _callback("custom_stake_amount", "proposed_stake"),
    _callback("custom_entry_price", "proposed_rate"),
    _callback("custom_exit_price", "proposed_rate"),
    _callback("confirm_trade_entry"),
    _callback("confirm_trade_exit"),
    _callback("custom_stoploss"),
    _callback("custom_roi"),
    _callback("adjust_entry_price", "current_order_rate"),
    _callback("adjust_exit_price", "current_order_rate"),
    _callback("adjust_order_price", "current_order_rate"),
    _callback("check_entry_timeout"),
    _callback("check_exit_timeout"),
    _callback("order_filled"),
    _callback("leverage"),
    Internal(FRAME, "_get_column_array", Use.CALL, CONSUMER, ("i",), optional=True),
    # -- the consumer's candles from its producers (``fleet.consumer_candles``) -------------
    # Its loop's refresh (and start-up download) leaves out the pairs producers serve; their
    # candles go into freqtrade's candle cache, where every reader of candles finds them.
    # Undo: the patch is deleted and the stored candles forgotten (``candles``); freqtrade's
    # next refresh downloads them again.
    _instance(
        EXCHANGE,
        "refresh_latest_ohlcv",
        Use.WRAP,
        CANDLES,
        "pair_list",
        "since_ms",
        "cache",
        "drop_incomplete",
        exact=True,
    ),
    Internal(EXCHANGE, "_klines", Use.WRITE, CANDLES),
    Internal(
        DATAPROVIDER,
        "refresh",
        Use.RELY,
        CANDLES,
        behaviour=refresh_asks_the_exchange,
        relied_on="refreshing candles through self._exchange.refresh_latest_ohlcv",
    ),
    Internal(
        EXCHANGE,
        "klines",
        Use.RELY,
        CANDLES,
        behaviour=klines_read_the_cache,
        relied_on="answering from self._klines",
    ),
    # -- frames on the wire (every fleet bot) ---------------------------------------------
    _class(SERIALIZER, "_json_default", Use.WRAP, (Feature.FRAME_CODEC,)),
    _class(SERIALIZER, "_json_object_hook", Use.WRAP, (Feature.FRAME_CODEC,)),
    Internal(SERIALIZER, "dataframe_to_json", Use.CALL, (Feature.FRAME_CODEC,)),
    Internal(SERIALIZER, "json_to_dataframe", Use.CALL, (Feature.FRAME_CODEC,)),
    # -- open trades' prices and the order path --------------------------------------------
    _class(BOT, "handle_trade", Use.WRAP, PRICES, "trade", exact=True),
    _class(BOT, "check_and_call_adjust_trade_position", Use.WRAP, PRICES, "trade", exact=True),
    _class(BOT, "execute_trade_exit", Use.WRAP, PRICES, "trade", "limit", "exit_check"),
    _class(BOT, "execute_entry", Use.WRAP, PRICES, "pair", "stake_amount", "price"),
    _class(
        EXCHANGE,
        "get_rate",
        Use.WRAP,
        PRICES,
        "pair",
        "refresh",
        "side",
        "is_short",
        "order_book",
        "ticker",
        exact=True,
    ),
    _class(EXCHANGE, "get_rates", Use.WRAP, PRICES, "pair", "refresh", "is_short", exact=True),
    # -- a live consumer's orders -----------------------------------------------------------
    Internal(DATAPROVIDER, "_exchange", Use.READ, (*ORDERS, *TICKERS)),
    _class(BOT, "startup", Use.WRAP, ORDERS),
    _call(BOT, "update_trade_state", ORDERS, "trade", "order_id", "action_order"),
    _instance(EXCHANGE, "create_order", Use.WRAP, ORDERS, *CREATE_ORDER),
    _instance(
        EXCHANGE,
        "_get_params",
        Use.WRAP,
        ORDERS,
        "side",
        "ordertype",
        "leverage",
        "reduceOnly",
        "time_in_force",
    ),
    _call(EXCHANGE, "_order_contracts_to_amount", ORDERS, "order"),
    Internal(EXCHANGE, "_api", Use.READ, (*ORDERS, *TICKERS)),
    _call(ORDER, "parse_from_ccxt_object", ORDERS, "order", "pair", "side", "amount", "price"),
    # 2026.7 added ``pair`` (orders are unique per pair and id); 2026.6 takes the id alone.
    _call(ORDER, "order_by_id", ORDERS, "order_id"),
    # -- a producer's tickers ---------------------------------------------------------------
    _instance(EXCHANGE, "fetch_ticker", Use.WRAP, TICKERS, "pair"),
    _call(EXCHANGE, "_init_ccxt", TICKERS, "exchange_config", "sync", "ccxt_kwargs"),
    Internal(EXCHANGE, "_config", Use.READ, TICKERS),
    Internal(EXCHANGE, "_ccxt_config", Use.READ, TICKERS),
    Internal(EXCHANGE, "_api_async", Use.READ, (*TICKERS, *CONSUMER)),
    # -- freqfleet backtest -----------------------------------------------------------------
    _call(BACKTESTING, "_set_strategy", BACKTEST, "strategy"),
    _call(BACKTESTING, "load_bt_data", BACKTEST),
    _call(BACKTESTING, "backtest", BACKTEST, "processed", "start_date", "end_date"),
    _call(BACKTESTING, "cleanup", BACKTEST),
    Internal(BACKTESTING, "strategylist", Use.READ, BACKTEST),
    Internal(BACKTESTING, "timerange", Use.WRITE, BACKTEST),
    Internal(BACKTESTING, "required_startup", Use.WRITE, BACKTEST),
    Internal(BACKTESTING, "price_pair_prec", Use.WRITE, BACKTEST),
    _instance(WALLETS, "get_trade_stake_amount", Use.WRAP, BACKTEST, "pair"),
    _instance(STRATEGY, "advise_entry", Use.WRAP, BACKTEST, "dataframe", "metadata"),
    # -- a consumer's new strategy code by reload_config (``strategy_modules``) ----------------
    Internal(
        RESOLVER,
        "_get_valid_object",
        Use.RELY,
        RELOAD,
        behaviour=executes_strategy_files_afresh,
        relied_on="executing the strategy file into a new module on every load",
    ),
    Internal(
        WORKER,
        "_reconfigure",
        Use.RELY,
        RELOAD,
        behaviour=reconfigure_cleans_up_first,
        relied_on="cleaning up the running bot before it builds the next one",
    ),
    # -- freqfleet plan ---------------------------------------------------------------------
    _call(ENVIRONMENT, "_flat_vars_to_nested_dict", PLAN, "env_dict", "prefix"),
    _call(RESOLVER, "_search_object", (*PLAN, *BACKTEST), "directory", "object_name"),
    Internal(EXCHANGE, "_ft_has", Use.READ, (*PLAN, *CONSUMER)),
    Internal(EXCHANGE, "_ft_has_futures", Use.READ, PLAN),
    Internal(
        INFORMATIVE,
        "_ft_informative",
        Use.READ,
        (*PLAN, *BACKTEST),
        behaviour=marks_informative_functions,
        relied_on="set on the functions it decorates (timeframe, asset)",
    ),
)

FLEET_STRATEGY = (Feature.CONSUMER, Feature.EXIT_PRICES, Feature.FRAME_CODEC)
"""What every fleet strategy checks when it is created (``check_supported``)."""


def needed_by(*features: Feature) -> list[Internal]:
    """The declared internals ``features`` need (all of them with none), in list order."""
    return [i for i in DECLARED if not features or set(features) & set(i.features)]


def private_names() -> frozenset[str]:
    """The declared names that start with ``_`` (only ``freqfleet.compat`` touches them)."""
    return frozenset(i.name for i in DECLARED if i.name.startswith("_") and i.name != "__init__")


__all__ = ["DECLARED", "FLEET_STRATEGY", "needed_by", "private_names"]
