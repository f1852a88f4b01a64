"""Subcommands of the planning family: ``plan``, ``new-config``, ``pairlist-feed``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape


def _plan(args: argparse.Namespace) -> int:
    from freqfleet.fleet.exchange_weight import plan_weight_lines
    from freqfleet.fleet.kubernetes import K8S_DIR
    from freqfleet.fleet.kubespec import KubernetesSpec
    from freqfleet.fleet.live import copy_note, trading_line
    from freqfleet.fleet.plan import write_plan
    from freqfleet.fleet.plan_warnings import plan_warnings
    from freqfleet.fleet.spec import load_fleet_config

    config_path = Path(args.config)
    config, spec = load_fleet_config(config_path)
    out_dir = Path(args.output)
    manifest = write_plan(
        config,
        spec,
        out_dir,
        rotate_secrets=args.rotate_secrets,
        config_dir=config_path.resolve().parent,
        userdir=Path(args.userdir) if args.userdir else None,
        kubernetes=args.kubernetes,
    )
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    userdir = Path(args.userdir) if args.userdir else None
    notes, budget = plan_weight_lines(
        config, spec, out_dir, manifest, config_path.resolve().parent, userdir
    )
    exported = (out_dir / K8S_DIR / "kustomization.yaml").is_file()
    for warning in [*plan_warnings(config, spec, exported), *budget]:
        err.print(f"[yellow]warning: {escape(warning)}[/yellow]", soft_wrap=True)
    console.print(
        f"Planned {len(manifest.producers)} producers and a consumer running "
        f"{manifest.strategy} on {manifest.timeframe} in {out_dir}"
    )
    console.print(f"  redundancy: {redundancy_line(manifest.redundancy)}", soft_wrap=True)
    for bot in manifest.bots:
        share = f"{len(bot.pairs)} pairs" if bot.role == "producer" else "trades"
        if bot.role == "producer" and manifest.pairlist_feed is not None:
            share = "share of the dynamic pairlist"
        console.print(f"  {bot.name:<16} {bot.api_url:<28} {share}")
    if manifest.pairlist_feed is not None:
        console.print(f"  pairlist feed: refreshes every {manifest.pairlist_feed.refresh_period} s")
    console.print(escape(trading_line(config, spec)), soft_wrap=True)
    note = copy_note(config, spec, manifest.consumer.config_files[0])
    if note:
        console.print(escape(note), soft_wrap=True)
    for note in notes:
        console.print(escape(note), soft_wrap=True)
    console.print(f"Start it with: freqfleet up {out_dir}")
    kubernetes_dir = out_dir / K8S_DIR
    if (kubernetes_dir / "kustomization.yaml").is_file():
        kube = spec.kubernetes or KubernetesSpec()
        console.print(
            f"On Kubernetes: build {kube.image} from {out_dir / 'Dockerfile'}, push it, then "
            f"kubectl apply --server-side -k {kubernetes_dir}",
            soft_wrap=True,
        )
    return 0


def redundancy_line(redundancy: int) -> str:
    """What ``fleet.redundancy`` means for the pairs, in one line."""
    if redundancy == 1:
        return "1 producer per pair (a pair goes blind while its producer restarts)"
    return (
        f"{redundancy} producers per pair (a pair keeps its analysis while up to "
        f"{redundancy - 1} of them are down)"
    )


def _apply(args: argparse.Namespace) -> int:
    from freqfleet.fleet.apply import diff_fleet
    from freqfleet.fleet.apply_report import apply_lines
    from freqfleet.fleet.plan import write_plan
    from freqfleet.fleet.replan import replan
    from freqfleet.fleet.spec import load_fleet_config

    config_path = Path(args.config)
    config, spec = load_fleet_config(config_path)
    plan_dir = Path(args.plan_dir)
    userdir = Path(args.userdir) if args.userdir else None
    config_dir = config_path.resolve().parent
    plan = replan(plan_dir, config, spec, config_dir=config_dir, userdir=userdir)
    diff = diff_fleet(plan)
    console = Console(highlight=False)
    for line in apply_lines(diff, args.plan_dir):
        console.print(escape(line), soft_wrap=True)
    if args.dry_run or diff.unchanged:
        return 0
    from freqfleet.run import roll_out, running_supervisor

    write_plan(config, plan.spec, plan_dir, config_dir=config_dir, userdir=userdir)
    console.print(f"Wrote the new plan to {plan_dir}")
    if running_supervisor(plan_dir.resolve()) is None:
        console.print(f"No fleet runs there: `freqfleet up {plan_dir}` starts the new one")
        return 0
    roll_out(plan_dir, diff, report=lambda line: console.print(escape(line)))
    if diff.consumer.action == "restart":
        console.print(
            f"consumer: its new config is written; it takes it only with a restart (apply "
            f"leaves that to you): `freqfleet restart {plan_dir} consumer`",
            soft_wrap=True,
        )
    return 0


def _new_config(args: argparse.Namespace) -> int:
    from freqfleet.fleet.newconfig import run_new_config

    return run_new_config(args)


def _pairlist_feed(args: argparse.Namespace) -> int:
    from freqfleet.fleet.pairfeed import parse_address, run_feed

    serve = parse_address(args.serve) if args.serve else None
    return run_feed(Path(args.plan_dir), once=args.once, serve=serve)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this family's subcommands to the ``freqfleet`` parser."""
    plan = subparsers.add_parser(
        "plan",
        help="Write the fleet's producer and consumer configs from one config",
        description="Split the pairs across producers and write producer-<name>.json, "
        "consumer.json, strategy stubs, docker-compose.yml, the fleet manifest and, with "
        "--kubernetes or a fleet.kubernetes section, kubernetes/ for kubectl apply -k.",
    )
    plan.add_argument(
        "-c", "--config", required=True, help="Your freqtrade config with a fleet section"
    )
    plan.add_argument(
        "--userdir",
        "--user-data-dir",
        help="Your user_data folder, where your strategy is (default: the config's)",
    )
    plan.add_argument("-o", "--output", default="fleet", help="Plan directory (default: fleet)")
    plan.add_argument(
        "--kubernetes",
        action="store_true",
        help="Also write kubernetes/ for kubectl apply -k (settings: the fleet.kubernetes "
        "section; a plan that has it keeps it current)",
    )
    plan.add_argument(
        "--rotate-secrets",
        action="store_true",
        help="Replace every ws token, JWT key and API password (default: keep existing ones)",
    )
    plan.set_defaults(func=_plan)

    apply = subparsers.add_parser(
        "apply",
        help="Change a running fleet to a changed config, producer by producer",
        description="Plan the changed config in memory over the fleet in PLAN_DIR (same "
        "ports and secrets for the bots it keeps) and print the producers started, "
        "restarted and stopped, the pairs each gains or loses, the consumer's whitelist "
        "change, the order of the steps and which pairs would go without analysis; "
        "without --dry-run, write the new plan and start, restart and stop the producers "
        "in that order through the running supervisor (the consumer is left to you).",
    )
    apply.add_argument("plan_dir", help="Plan directory written by `freqfleet plan`")
    apply.add_argument("-c", "--config", required=True, help="The changed config")
    apply.add_argument(
        "--userdir", "--user-data-dir", help="Your user_data folder (default: the config's)"
    )
    apply.add_argument("--dry-run", action="store_true", help="Print the changes; change nothing")
    apply.set_defaults(func=_apply)

    new_config = subparsers.add_parser(
        "new-config",
        help="Create a fleet config and a user_data/ folder",
        description="Asks a few questions (or takes them as options) and writes a "
        "freqtrade config with a fleet section plus a user_data/ skeleton.",
    )
    from freqfleet.fleet.newconfig import add_arguments

    add_arguments(new_config)
    new_config.set_defaults(func=_new_config)

    feed = subparsers.add_parser(
        "pairlist-feed",
        help="Evaluate a dynamic pairlist once per refresh and give each producer its share",
        description="Runs the plan's pairlist (e.g. VolumePairList and filters) once per "
        "refresh and writes each producer's share to pairlists/<name>.json.",
    )
    feed.add_argument("plan_dir", help="Plan directory written by `freqfleet plan`")
    feed.add_argument("--once", action="store_true", help="Evaluate once and exit")
    feed.add_argument(
        "--serve",
        metavar="HOST:PORT",
        help="Also serve the shares over HTTP for producers on other hosts (fleet.pairlist_url)",
    )
    feed.set_defaults(func=_pairlist_feed)
