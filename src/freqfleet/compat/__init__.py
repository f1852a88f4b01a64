"""freqfleet.compat: every use of freqtrade's (and pandas') internals, in one package.

``declared.DECLARED`` lists each internal freqfleet calls, reads, wraps or replaces, or
whose behaviour it relies on, with the feature that needs it. The start-up check
(``check_supported``, ``missing``, ``require``) and the patch registry (``patch``,
``undo_patches``) read that list; the modules here are the only ones in freqfleet that
touch freqtrade's private names:

    frames        the consumer's producer frames in and analysed frames out, the codec hooks
    candles       the consumer's candles from its producers' frames, none downloaded
    entries       the consumer's entry scan, only over pairs whose analysis changed
    entry_books   a loop's entry order books fetched together, not one after the other
    dry_wallet    a dry-run consumer's wallet recomputed after database writes only
    frame_requests  the consumer's frame requests to producers sent without spacing
    pricing       open trades' prices between loops, the order path
    orders        a live consumer's order guard
    tickers       a producer's tickers from the exchange's streams
    backtesting   what ``freqfleet backtest`` does inside ``Backtesting``
    plan          environment variables, strategy lookup, exchange classes, for the plan
    strategy_modules  a consumer's strategy code read afresh by reload_config
    versions      the running freqtrade and the tested releases

freqtrade is imported only when a function here runs, so importing freqfleet stays cheap.
"""

from freqfleet.compat.backtesting import (
    counting_stake_refusals,
    entries_one_candle_late,
    funding_data,
    prepare_run,
    use_first_strategy,
)
from freqfleet.compat.candle_files import funding_rate_frame
from freqfleet.compat.candles import ProducerCandles
from freqfleet.compat.checks import check_supported, lacking, missing, require
from freqfleet.compat.declared import DECLARED, FLEET_STRATEGY
from freqfleet.compat.entries import skip_unchanged_entry_checks
from freqfleet.compat.entry_books import fetch_entry_books
from freqfleet.compat.frame_requests import send_requests_unspaced
from freqfleet.compat.frames import (
    column_values,
    install_frame_codec,
    set_analyzed_frame,
    watch_producer_messages,
)
from freqfleet.compat.model import Feature, Internal, Owner, Undo, Use
from freqfleet.compat.orders import OrderGuard, guard_of, guard_orders
from freqfleet.compat.patches import (
    UndeclaredInternal,
    is_patched,
    mark,
    patch,
    undo_patches,
)
from freqfleet.compat.plan import (
    flat_vars_to_nested_dict,
    freqtrade_ws_enabled,
    informative_data,
    search_strategy_class,
)
from freqfleet.compat.pricing import reuse_exit_prices
from freqfleet.compat.strategy_modules import (
    forget_strategy_modules,
    loaded_strategy_files,
    reloads_strategy_files,
    strategy_folder,
)
from freqfleet.compat.tickers import (
    bot_exchange,
    fetch_tickers_uncached,
    route_tickers,
    stream_client_maker,
)
from freqfleet.compat.versions import (
    TESTED_FREQTRADE,
    freqtrade_image_tag,
    freqtrade_version,
    tested_releases,
    unsupported_message,
)

__all__ = [
    "DECLARED",
    "FLEET_STRATEGY",
    "TESTED_FREQTRADE",
    "Feature",
    "Internal",
    "OrderGuard",
    "Owner",
    "ProducerCandles",
    "UndeclaredInternal",
    "Undo",
    "Use",
    "bot_exchange",
    "check_supported",
    "column_values",
    "counting_stake_refusals",
    "entries_one_candle_late",
    "fetch_entry_books",
    "fetch_tickers_uncached",
    "flat_vars_to_nested_dict",
    "forget_strategy_modules",
    "freqtrade_image_tag",
    "freqtrade_version",
    "freqtrade_ws_enabled",
    "funding_data",
    "funding_rate_frame",
    "guard_of",
    "guard_orders",
    "informative_data",
    "install_frame_codec",
    "is_patched",
    "lacking",
    "loaded_strategy_files",
    "mark",
    "missing",
    "patch",
    "prepare_run",
    "reloads_strategy_files",
    "require",
    "reuse_exit_prices",
    "route_tickers",
    "search_strategy_class",
    "send_requests_unspaced",
    "set_analyzed_frame",
    "skip_unchanged_entry_checks",
    "strategy_folder",
    "stream_client_maker",
    "tested_releases",
    "undo_patches",
    "unsupported_message",
    "use_first_strategy",
    "watch_producer_messages",
]
