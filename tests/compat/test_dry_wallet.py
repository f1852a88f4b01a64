"""A dry-run consumer's wallet recomputed after database writes only: real bots on the
simulator, the wallet compared with what freqtrade's own refresh computes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from freqtrade.enums import RunMode
from freqtrade.persistence import Trade
from freqtrade.wallets import Wallets

from freqfleet import compat
from freqfleet.compat import dry_wallet
from freqfleet.compat.model import Feature
from freqfleet.sim import RunningSimulator, running_simulator
from freqfleet.sim.account_file import create_account_file
from tests.kit.live_consumer import LiveConsumer, away_from_a_close, dry_consumer

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        bool(compat.lacking(Feature.ENTRY_BOOKS)),
        reason="this freqtrade's entry loop differs: the consumer enters as freqtrade does",
    ),
]
__all__ = ["dry_consumer"]  # the fixture, used by name


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    account = tmp_path_factory.mktemp("account") / "account.json"
    create_account_file(account, {"USDT": 1_000_000 * 10**8})
    with running_simulator(pairs=5, seed=11, account=account) as running:
        yield running


def balances(wallets: Wallets) -> dict[str, tuple[float, float, float]]:
    return {c: (w.free, w.used, w.total) for c, w in wallets.get_all_balances().items()}


def freqtrades_own(wallets: Wallets) -> dict[str, tuple[float, float, float]]:
    """The wallet as freqtrade's own refresh computes it now (the patch left aside)."""
    Wallets.update(wallets)
    return balances(wallets)


def counting_refreshes(wallets: Wallets, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    refreshes: list[int] = []
    refresh = wallets._update_dry

    def counted() -> None:
        refreshes.append(1)
        refresh()

    monkeypatch.setattr(wallets, "_update_dry", counted)
    return refreshes


def test_a_burst_of_entries_refreshes_less_and_ends_with_freqtrades_wallet(
    sim: RunningSimulator, dry_consumer: Callable[..., LiveConsumer], monkeypatch
):
    consumer = dry_consumer("burst")
    wallets = consumer.bot.wallets
    refreshes = counting_refreshes(wallets, monkeypatch)
    asked: list[int] = []
    update = wallets.update

    def asking(require_update: bool = True) -> None:
        asked.append(1)
        update(require_update)

    away_from_a_close()
    consumer.send_signals(list(sim.pairs))
    monkeypatch.setattr(wallets, "update", asking)  # over the patch, once it is installed
    consumer.loop()
    assert len(Trade.get_open_trades()) == len(sim.pairs)
    # freqtrade asks three times an entry; the one before the next entry's stake follows
    # a refresh with no write between them.
    assert len(asked) >= 3 * len(sim.pairs)
    assert len(refreshes) <= len(asked) - (len(sim.pairs) - 1)
    after = balances(wallets)
    assert after == freqtrades_own(wallets)
    assert after["USDT"][0] < consumer.bot.config["dry_run_wallet"]


def test_a_write_or_an_unwritten_change_makes_the_next_refresh_run(
    sim: RunningSimulator, dry_consumer: Callable[..., LiveConsumer], monkeypatch
):
    consumer = dry_consumer("writes")
    away_from_a_close()
    consumer.send_signals([sim.pairs[0]])
    consumer.loop()
    wallets = consumer.bot.wallets
    refreshes = counting_refreshes(wallets, monkeypatch)
    wallets.update()
    wallets.update()
    assert refreshes == []  # nothing written since the entry's own refresh
    [trade] = Trade.get_open_trades()
    trade.stake_amount = trade.stake_amount * 2  # in the session, not written
    wallets.update()
    assert len(refreshes) == 1
    Trade.commit()
    wallets.update()
    wallets.update()
    assert len(refreshes) == 2
    assert balances(wallets) == freqtrades_own(wallets)


@pytest.mark.parametrize(
    ("changes", "skips"),
    [
        ({"dry_run": True, "runmode": RunMode.DRY_RUN}, True),
        ({"dry_run": True, "runmode": RunMode.LIVE}, False),  # freqtrade asks the exchange
        ({"dry_run": False, "runmode": RunMode.LIVE}, False),
        ({"dry_run": True, "runmode": RunMode.DRY_RUN, "margin_mode": "cross"}, False),
    ],
)
def test_only_a_wallet_computed_from_the_database_alone_skips(changes: dict[str, Any], skips: bool):
    assert dry_wallet.skips_refresh(changes) is skips
