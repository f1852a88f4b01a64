"""Behaviours of freqtrade that freqfleet relies on and no signature shows.

Each check takes the owner (freqtrade's class or function, or a stand-in in tests) and
tells whether it still behaves as relied on, read from its source or by running it. A
check that cannot read the source (no file) does not fail: as with a builtin's
signature, there is nothing to compare.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from typing import Any

from freqfleet.compat.model import is_self_attribute, source_tree


def _method(owner: Any, name: str) -> ast.AST | None:
    function = inspect.getattr_static(owner, name, None)
    return None if function is None else source_tree(function)


def add_stores_through_replace(dataprovider: Any) -> bool:
    """``DataProvider._add_external_df`` stores a frame only by calling
    ``self._replace_external_df`` (where the consumer sees each stored frame)."""
    tree = _method(dataprovider, "_add_external_df")
    if tree is None:
        return inspect.getattr_static(dataprovider, "_add_external_df", None) is not None
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and is_self_attribute(node.func, "_replace_external_df")
    ]
    stores_itself = any(
        isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        and any(_writes_self(target) for target in _targets(node))
        for node in ast.walk(tree)
    )
    return bool(calls) and not stores_itself


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    return []


def _writes_self(target: ast.expr) -> bool:
    """``self.x = ...`` or ``self.x[...] = ...`` (at any depth of subscripts)."""
    while isinstance(target, ast.Subscript):
        target = target.value
    return is_self_attribute(target)


def dp_set_before_message_consumer(bot: Any) -> bool:
    """``FreqtradeBot.__init__`` sets ``self.strategy.dp`` before it creates the
    ``ExternalMessageConsumer`` (which starts receiving producer messages at once)."""
    tree = _method(bot, "__init__")
    if tree is None:
        return inspect.getattr_static(bot, "__init__", None) is not None
    dp_set = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(
            isinstance(t, ast.Attribute)
            and t.attr == "dp"
            and is_self_attribute(t.value, "strategy")
            for t in node.targets
        )
    ]
    consumer_made = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node.func) == "ExternalMessageConsumer"
    ]
    return bool(dp_set and consumer_made) and min(dp_set) < min(consumer_made)


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _has_node(owner: Any, name: str, wanted: Callable[[ast.AST], bool]) -> bool:
    """Whether method ``name`` of ``owner`` has a node ``wanted`` accepts (a method whose
    source cannot be read passes when it exists)."""
    tree = _method(owner, name)
    if tree is None:
        return inspect.getattr_static(owner, name, None) is not None
    return any(wanted(node) for node in ast.walk(tree))


def channels_opened_with_a_spacing(consumer: Any) -> bool:
    """``ExternalMessageConsumer._create_connection`` opens each producer's channel by
    calling the module's ``create_channel`` (looked up at each connection, where the
    consumer's spacing goes) with a ``send_throttle``."""
    return _has_node(
        consumer,
        "_create_connection",
        lambda node: (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "create_channel"
            and any(keyword.arg == "send_throttle" for keyword in node.keywords)
        ),
    )


def refresh_asks_the_exchange(dataprovider: Any) -> bool:
    """``DataProvider.refresh`` refreshes candles by calling
    ``self._exchange.refresh_latest_ohlcv`` (looked up on the instance, where the consumer
    takes the producers' pairs out)."""
    return _has_node(
        dataprovider,
        "refresh",
        lambda node: (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "refresh_latest_ohlcv"
            and is_self_attribute(node.func.value, "_exchange")
        ),
    )


def klines_read_the_cache(exchange: Any) -> bool:
    """``Exchange.klines`` answers from ``self._klines`` (where the consumer stores the
    producers' candles), so ``DataProvider.ohlcv`` and every reader of it see them."""
    return _has_node(exchange, "klines", lambda node: is_self_attribute(node, "_klines"))


def marks_informative_functions(informative: Any) -> bool:
    """freqtrade's ``@informative`` records its timeframe and asset on the function it
    decorates (``_ft_informative``: what the plan reads to size a bot's candles)."""
    try:
        marked = informative("1h", "BTC/{stake}")(lambda self, dataframe, metadata: dataframe)
    except Exception:  # any failure means the decorator changed
        return False
    data = getattr(marked, "_ft_informative", None)
    if not isinstance(data, list) or len(data) != 1:
        return False
    return getattr(data[0], "timeframe", None) == "1h" and getattr(data[0], "asset", None) == (
        "BTC/{stake}"
    )


def executes_strategy_files_afresh(resolver: Any) -> bool:
    """``IResolver._get_valid_object`` executes the strategy file into a new module
    (``module_from_spec`` and ``exec_module``) and does not store it in ``sys.modules``:
    each load runs the file as it is on disk, and what it imports is an ordinary import."""
    tree = _method(resolver, "_get_valid_object")
    if tree is None:
        return inspect.getattr_static(resolver, "_get_valid_object", None) is not None
    called = {_called_name(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    stores = any(
        isinstance(node, ast.Assign)
        and any(_is_sys_modules_item(target) for target in node.targets)
        for node in ast.walk(tree)
    )
    return {"spec_from_file_location", "module_from_spec", "exec_module"} <= called and not stores


def _is_sys_modules_item(target: ast.expr) -> bool:
    return (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Attribute)
        and target.value.attr == "modules"
        and isinstance(target.value.value, ast.Name)
        and target.value.value.id == "sys"
    )


def reconfigure_cleans_up_first(worker: Any) -> bool:
    """``Worker._reconfigure`` (what ``reload_config`` runs) cleans up the running bot
    (``self.freqtrade.cleanup()``: the strategy's ``ft_bot_cleanup``) before it builds the
    next one (``self._init``), whose strategy the resolver loads again."""
    tree = _method(worker, "_reconfigure")
    if tree is None:
        return inspect.getattr_static(worker, "_reconfigure", None) is not None
    cleanup = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "cleanup"
        and is_self_attribute(node.func.value, "freqtrade")
    ]
    rebuilt = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and is_self_attribute(node.func, "_init")
    ]
    return bool(cleanup and rebuilt) and min(cleanup) < min(rebuilt)


__all__ = [
    "add_stores_through_replace",
    "channels_opened_with_a_spacing",
    "dp_set_before_message_consumer",
    "executes_strategy_files_afresh",
    "klines_read_the_cache",
    "marks_informative_functions",
    "reconfigure_cleans_up_first",
    "refresh_asks_the_exchange",
]
