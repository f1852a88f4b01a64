"""Which freqtrade this is, and which releases freqfleet is tested with.

What differs among the tested releases (2026.6 to 2026.9) in what freqfleet touches, and
needs nothing in this package: the internals declared in ``declared``, the websocket
messages and serialiser, the strategy callbacks' signatures, ``Backtesting``,
freqtrade-client and the config keys freqfleet writes are the same in all four, and so is
the pricing path (``handle_trade`` asks ``get_rate`` after the exit signal, the
adjustment check ``get_rates``, orders go through ``execute_trade_exit`` /
``execute_entry``; ``get_rate`` and ``get_rates`` are unchanged). 2026.9 validates a
strategy's analysed frame before caching it (``IStrategy._analyze_ticker_internal``;
before, in ``analyze_pair`` and by default as a warning only), adds
``CandleType.OPEN_INTEREST``, the ``liquidation_warning`` message and an
informative-indicator cache; a consumer replaces ``analyze`` as a whole, ignores message
types it does not follow and downloads no informative candles, so none of that reaches
it. freqtrade 2026.6 imports scipy without requiring it: freqfleet requires it
(pyproject.toml).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

TESTED_FREQTRADE = ("2026.6", "2026.7", "2026.8", "2026.9")
"""freqtrade releases freqfleet is tested with (``make test-compat``), oldest first."""

_warned_version = False


def freqtrade_version() -> str:
    import freqtrade

    return str(freqtrade.__version__)


def freqtrade_image_tag(version: str | None = None) -> str:
    """The tag of freqtrade's official image for this freqtrade: its version (``2026.9``,
    ``2026.9.1``), ``develop`` for a development build (``2026.10-dev-...``)."""
    text = (version or freqtrade_version()).removeprefix("docker-")
    return "develop" if "dev" in text else text


def release_of(version: str) -> str:
    """``2026.9`` of ``2026.9``, ``2026.9.1``, ``docker-2026.9-abcd``, ``2026.10-dev-...``."""
    text = version.removeprefix("docker-")
    parts = text.replace("-", ".").split(".")
    return ".".join(parts[:2])


def tested_releases() -> str:
    """``2026.6 to 2026.9``: the tested releases as one range (they are consecutive)."""
    if len(TESTED_FREQTRADE) == 1:
        return TESTED_FREQTRADE[0]
    return f"{TESTED_FREQTRADE[0]} to {TESTED_FREQTRADE[-1]}"


def unsupported_message(missing: list[str], what: str) -> str:
    """One line: this freqtrade lacks ``missing``, which ``what`` needs; what to install."""
    return (
        f"freqtrade {freqtrade_version()} lacks {', '.join(missing)}, which {what} needs; "
        f"install a tested freqtrade release ({tested_releases()}): "
        f"pip install 'freqtrade=={TESTED_FREQTRADE[-1]}'"
    )


def warn_untested() -> None:
    """Warn once per process when this freqtrade is not a tested release."""
    global _warned_version
    version = freqtrade_version()
    if release_of(version) not in TESTED_FREQTRADE and not _warned_version:
        _warned_version = True
        logger.warning(
            "freqfleet is tested with freqtrade %s; this bot runs %s", tested_releases(), version
        )


__all__ = [
    "TESTED_FREQTRADE",
    "freqtrade_image_tag",
    "freqtrade_version",
    "release_of",
    "tested_releases",
    "unsupported_message",
    "warn_untested",
]
