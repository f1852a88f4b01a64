"""The fleet manifest: what `freqfleet plan` wrote and how to start each bot.

Why a manifest: `up`, `down`, `status` and `demo` must not re-derive the plan; they read
this one file (``fleet-manifest.json`` in the plan directory). It holds the bots' REST
credentials, so it is written with mode 0600.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from freqfleet.files import SECRET_MODE, write_atomic

MANIFEST_NAME = "fleet-manifest.json"


class BotEntry(BaseModel):
    """One bot of the fleet, as `plan` wrote it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    role: Literal["producer", "consumer"]
    config_files: list[str] = Field(
        description="Passed to freqtrade as -c, in order; relative to the plan dir"
    )
    host: str = Field("127.0.0.1", description="Machine that runs this bot")
    api_host: str = "127.0.0.1"
    api_port: int
    username: str
    password: str
    pairs: list[str] = Field(
        default_factory=list, description="A producer's share; empty for the consumer"
    )

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"


class PairlistFeedEntry(BaseModel):
    """The pairlist feed of a fleet with a dynamic pairlist (absent for a static one).

    Why: a dynamic pairlist (VolumePairList and filters) is evaluated once per refresh by
    one process, ``freqfleet pairlist-feed PLAN_DIR``, which writes each producer's share to
    ``files[name]``; the producers read it with freqtrade's RemotePairList. It must run
    (and have written its files) before the producers start.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    config_file: str = Field(description="The config the feed evaluates; relative to the plan dir")
    refresh_period: int = Field(description="Seconds between evaluations")
    files: dict[str, str] = Field(description="Producer name -> its share file (plan-relative)")
    serve: str | None = Field(
        None, description="HOST:PORT serving the shares to producers on other hosts"
    )
    redundancy: int = Field(1, description="Producers given each pair (fleet.redundancy)")
    hosts: dict[str, str] | None = Field(
        None, description="Producer -> host when they span hosts: a pair's on distinct ones"
    )

    def command_args(self, plan_dir: Path | str = ".") -> list[str]:
        """Arguments after ``freqfleet`` that run the feed for ``plan_dir``."""
        args = ["pairlist-feed", str(plan_dir)]
        if self.serve:
            args += ["--serve", self.serve]
        return args


class GatewayEntry(BaseModel):
    """The shared market-data gateway (``fleet.gateway``): started before every other
    process; the bots' public market-data URLs lead to ``url``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    upstream: str = Field(description="The exchange's REST base URL the gateway fronts")
    exchange: str = Field(description="The gateway's exchange profile")
    host: str = "127.0.0.1"
    port: int
    share: float
    live_ttl: float
    weight_limit: int | None = Field(
        None, description="The exchange's weight a minute (None: the profile's limit)"
    )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def route(self, exchange: dict[str, Any], host: str | None = None) -> dict[str, Any]:
        """A copy of a freqtrade ``exchange`` section whose public market-data URLs lead to
        this gateway, at ``host`` when the bots reach it by another name (a compose
        service, a cluster Service) than the plan's."""
        from freqfleet.gateway import exchange_profile, route_public

        at = self if host is None else self.model_copy(update={"host": host})
        return route_public(exchange, exchange_profile({"name": self.exchange}), at.url)

    def command_args(self) -> list[str]:
        """Arguments after ``freqfleet`` that run the gateway."""
        return [
            "gateway",
            "--upstream",
            self.upstream,
            "--exchange",
            self.exchange,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--share",
            str(self.share),
            "--live-ttl",
            str(self.live_ttl),
            *(["--weight-limit", str(self.weight_limit)] if self.weight_limit else []),
        ]

    def container_args(self) -> list[str]:
        """:meth:`command_args` for a container: on every interface of its own network."""
        return self.model_copy(update={"host": "0.0.0.0"}).command_args()


class FleetManifest(BaseModel):
    """Everything needed to start, stop and watch a planned fleet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    strategy: str
    timeframe: str
    userdir: str = Field("user_data", description="freqtrade --userdir, relative to the plan dir")
    strategy_path: str | None = Field(None, description="freqtrade --strategy-path, if any")
    bots: list[BotEntry]
    pairlist_feed: PairlistFeedEntry | None = Field(
        None, description="Set when the pairlist is dynamic: run it before the producers"
    )
    gateway: GatewayEntry | None = Field(
        None, description="Set with fleet.gateway: run it before every other process"
    )
    redundancy: int = Field(1, description="Producers analysing each pair (fleet.redundancy)")
    hosts: dict[str, str] | None = Field(
        None, description="Producer -> host when they span hosts: a pair's on distinct ones"
    )
    routes: dict[str, list[str]] | None = Field(
        None,
        description="A static pairlist's pair -> its producers, first preferred (None: "
        "dynamic, the feed splits each refresh)",
    )
    freqtrade_version: str | None = Field(
        None, description="The freqtrade release the plan was made with (drift check)"
    )
    strategy_hashes: dict[str, str] = Field(
        default_factory=dict,
        description="sha256 of every file the plan put in user_data/strategies (drift check)",
    )

    @property
    def producers(self) -> list[BotEntry]:
        return [bot for bot in self.bots if bot.role == "producer"]

    @property
    def consumer(self) -> BotEntry:
        return next(bot for bot in self.bots if bot.role == "consumer")

    def freqtrade_args(self, bot: BotEntry) -> list[str]:
        """Arguments after ``freqtrade`` that start ``bot`` (paths relative to the plan dir)."""
        args = ["trade", "--userdir", self.userdir]
        for config_file in bot.config_files:
            args += ["-c", config_file]
        args += ["--strategy", self.strategy]
        if self.strategy_path:
            args += ["--strategy-path", self.strategy_path]
        return args

    def save(self, plan_dir: Path) -> Path:
        path = Path(plan_dir) / MANIFEST_NAME
        write_atomic(path, self.model_dump_json(indent=4) + "\n", mode=SECRET_MODE)
        return path

    @classmethod
    def load(cls, plan_dir: Path) -> FleetManifest:
        from freqfleet.errors import ConfigError

        path = Path(plan_dir) / MANIFEST_NAME
        if not path.is_file():
            raise ConfigError(
                f"{path}: no fleet manifest here; run `freqfleet plan -c CONFIG -o {plan_dir}` first"
            )
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


__all__ = ["MANIFEST_NAME", "BotEntry", "FleetManifest", "GatewayEntry", "PairlistFeedEntry"]
