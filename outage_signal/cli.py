"""The ``outage-signal`` command line: each command is a thin shell over a Python function of the same name."""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import gc
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from outage_signal import detector
from outage_signal.classifier import DEFAULT_DATASET, DEFAULT_MODEL, ModelLoadError, ServiceMatcher
from outage_signal.classifier.dataset import DatasetError, read_labeled
from outage_signal.config import (DEFAULT_DB, DEFAULT_REPLAY, Config, ConfigError, WebhookFormat, load_config,
                                  service_rows)
from outage_signal.lock import LockError, LockHeld, RunLock
from outage_signal.store import Store, StoreError, database_error, iso

# The stages behind the commands (scikit-learn, the API clients, matplotlib: seconds to import) are
# imported by the commands that use them, so `--help`, `detect-series` and the listings start at once.
if TYPE_CHECKING:
    from outage_signal import pipeline
    from outage_signal.classifier.model import ComplaintClassifier

# Errors a person can act on: shown as one line, exit status 1, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (ConfigError, StoreError, LockError, ModelLoadError,
                                             detector.DetectorError, DatasetError)


def global_options(after_command: bool = False) -> list[click.Option]:
    """The options every command takes, before its name or after it (`outage-signal demo --db x.db`).

    Defined once for both places. Before the command they carry the environment variable and the default;
    after it they default to None, so only an option actually given there overrides the one before.
    """
    def option(*names: str, envvar: str | None, default: Any, **kwargs: Any) -> click.Option:
        if after_command:
            return click.Option(names, default=None, **kwargs)
        return click.Option(names, envvar=envvar, default=default, **kwargs)

    return [
        option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), envvar="OUTAGE_SIGNAL_DB",
               default=DEFAULT_DB, help=f"SQLite database file (env OUTAGE_SIGNAL_DB) [default: {DEFAULT_DB}]."),
        option("--config", "config_path", type=click.Path(dir_okay=False), envvar="OUTAGE_SIGNAL_CONFIG",
               default=None, help="Service catalog TOML (env OUTAGE_SIGNAL_CONFIG) [default: the bundled catalog]."),
        option("--quiet", "-q", envvar=None, default=False, is_flag=True,
               help="Print only results and errors: no progress, no notices."),
        option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), envvar="OUTAGE_SIGNAL_LOG_LEVEL",
               default="warning",
               help="How much to log (env OUTAGE_SIGNAL_LOG_LEVEL) [default: warning]; info shows each source, batch "
                    "and delivery."),
        option("--log-file", type=click.Path(dir_okay=False, path_type=Path), envvar="OUTAGE_SIGNAL_LOG_FILE",
               default=None, help="Append the log to this file (env OUTAGE_SIGNAL_LOG_FILE) [default: stderr]."),
    ]


GLOBAL_OPTION_NAMES = ("db_path", "config_path", "quiet", "log_level", "log_file")


class OutageSignalCommand(click.Command):
    """A command that takes the global options after its name too, and builds the App they describe."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(global_options(after_command=True))

    def invoke(self, ctx: click.Context) -> Any:
        before = ctx.parent.params if ctx.parent else {}
        given_after = {name: ctx.params.pop(name) for name in GLOBAL_OPTION_NAMES}
        settings = {name: before.get(name) if given_after[name] is None else given_after[name]
                    for name in GLOBAL_OPTION_NAMES}
        setup_logging(settings["log_level"] or "warning", settings["log_file"])
        ctx.obj = App(settings["db_path"] or DEFAULT_DB, settings["config_path"], bool(settings["quiet"]),
                      Console(stderr=False))
        try:
            return super().invoke(ctx)
        except Exception as e:  # a corrupt page met mid-command, past the check on opening, say
            error = database_error(ctx.obj.db_path, e)
            if error is None:
                raise
            raise click.ClickException(str(error)) from None


class OutageSignalGroup(click.Group):
    command_class = OutageSignalCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as e:
            raise click.ClickException(str(e)) from None


@dataclass
class App:
    """What every command shares: where the database and the config are, and how loud to be."""

    db_path: Path
    config_path: str | None
    quiet: bool
    console: Console

    def config(self) -> Config:
        return load_config(self.config_path)

    def store(self, readonly: bool = False) -> Store:
        """The database; ``readonly`` for commands that only read: they never create, migrate or write it."""
        return Store(self.db_path, readonly=readonly)

    def model(self, path: Path = DEFAULT_MODEL) -> ComplaintClassifier:
        from outage_signal.classifier.model import ComplaintClassifier
        return ComplaintClassifier.load(path)

    def echo(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, highlight=False, markup=False)

    @contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[Any]:
        """A progress bar with rate and ETA; silent when quiet or when output is not a terminal."""
        if self.quiet or not self.console.is_terminal:
            yield lambda advance: None
            return
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                   TimeRemainingColumn()]
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda advance: bar.advance(task, advance)


class RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "")


pass_app = click.make_pass_decorator(App)

Rows = Sequence[dict[str, Any]]


def listing(print_table: Callable[[App, Rows], None]) -> Callable[[Callable[..., Rows]], Callable[..., None]]:
    """The one output of every listing command: its function returns rows; they are printed as a table,
    or with --json as JSON lines (one object per row, lists as JSON lists) or with --csv as CSV."""
    def decorate(list_rows: Callable[..., Rows]) -> Callable[..., None]:
        @click.option("--json", "as_json", is_flag=True, help="JSON lines: one JSON object per row.")
        @click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row (lists as JSON text).")
        @functools.wraps(list_rows)
        def command(*args: Any, as_json: bool, as_csv: bool, **kwargs: Any) -> None:
            if as_json and as_csv:
                raise click.ClickException("--json and --csv: choose one")
            rows = list_rows(*args, **kwargs)
            if as_json:
                for row in rows:
                    click.echo(json.dumps(row, default=str))
            elif as_csv:
                write_csv(rows)
            else:
                print_table(click.get_current_context().find_object(App), rows)
        return command
    return decorate


def write_csv(rows: Rows) -> None:
    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:  # a CSV cell is text: a list or mapping goes in as JSON
        writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()})


def known_service(config: Config, service: str | None) -> str | None:
    """``service`` when the catalog has it (or None): a typo gets the list, not an empty answer."""
    if service is not None and service not in config.services:
        raise click.ClickException(f"unknown service {service!r}; the catalog has {', '.join(config.services)}")
    return service


# --- tables: what each listing looks like in a terminal ---

def _print_incident_table(app: App, incidents: Rows) -> None:
    from outage_signal.report import official_summary

    table = Table(title="Incidents")
    for column in ("service", "opened at (UTC)", "status", "complaints", "official acknowledgement",
                   "official incident", "lead"):
        table.add_column(column)
    for i in incidents:
        lead = f"{i['lead_minutes']:+.0f} min" if i["lead_minutes"] is not None else "-"
        first = f" ({i['acknowledged_by']})" if i["acknowledged_by"] not in (None, "status_page") else ""
        table.add_row(i["service"], i["opened_at"][:16].replace("T", " "),
                      i["status"] + (f" {i['resolved_at'][11:16]}" if i["resolved_at"] else ""),
                      str(i["complaints"]),
                      (i["acknowledged_at"] or "never")[:16].replace("T", " ") + first,
                      official_summary(i), lead)
    app.console.print(table)


def _print_figures(app: App, rows: Rows) -> None:
    for key, value in rows[0].items():
        click.echo(f"{key:36} {value}")


def _print_generic_table(app: App, rows: Rows) -> None:
    if not rows:
        app.console.print("(none)")
        return
    table = Table()
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else ", ".join(v) if isinstance(v, list) else str(v) for v in row.values()))
    app.console.print(table)


def _print_status_table(app: App, rows: Rows) -> None:
    table = Table()
    for column in ("service", "last hour: authors / expected", "open incident", "last official", "collected"):
        table.add_column(column)
    for r in rows:
        expected = "-" if r["expected_authors_last_hour"] is None else f"{r['expected_authors_last_hour']:.1f}"
        incident = (f"since {r['open_incident_since'][:16]} ({r['open_incident_complaints']} complaints)"
                    if r["open_incident_since"] else "-")
        failing = f" FAILING: {', '.join(r['failing_sources'])}" if r["failing_sources"] else ""
        platform = f" [{r['status_platform']}]" if r["status_platform"] else ""
        table.add_row(r["name"], f"{r['authors_last_hour']} / {expected}", incident, (r["last_official"] or "-") + platform,
                      (r["last_collected"] or "never")[:16] + failing)
    app.console.print(table)
    if rows and rows[0]["stream_lag_seconds"] is not None:
        app.console.print(f"Bluesky stream: {rows[0]['stream_lag_seconds']:,.1f} s behind real time (the last event "
                          "stored; grows while `outage-signal stream` is not running)", highlight=False)
    if rows and rows[0]["reddit_follow_lag_seconds"] is not None:
        app.console.print(f"Reddit follower: {rows[0]['reddit_follow_lag_seconds']:,.1f} s behind real time (its last "
                          "complete poll began then; grows while `outage-signal stream --source reddit` is not "
                          "running)", highlight=False)


@click.group(cls=OutageSignalGroup, params=global_options())
@click.version_option(package_name="outage-signal")
def cli(**global_settings: Any) -> None:
    """Outage Signal: spot service outages from what people post, before the status page does.

    Start with `outage-signal demo`: it replays two bundled weeks of posts, detects the
    outages in them and shows how early each was caught. The options below are also
    accepted after the command: `outage-signal demo --db x.db`.
    """
    # Each command reads these settings (see OutageSignalCommand.invoke), after its own.
    # The ~200,000 objects of the loaded modules live until exit: frozen, the cyclic collector stops
    # rescanning them on every full collection, which made a bulk import 15% slower.
    gc.freeze()


def setup_logging(level: str, log_file: Path | None) -> None:
    """Log records of this tool and of the API clients it drives (praw, atproto, requests) at ``level``.

    Secrets never reach a log: they live in Endpoint/clients, which neither log nor print them.
    """
    try:
        handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    except OSError as e:
        raise click.ClickException(f"--log-file {log_file}: cannot open it: {e.strerror}") from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in root.handlers[:]:
        if getattr(old, "outage_signal", False):  # a previous invocation in the same process (tests)
            root.removeHandler(old)
            old.close()
    handler.outage_signal = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())


@cli.command()
@click.option("--replay", "replay_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_REPLAY,
              show_default=True, help="Replay folder: posts.jsonl.zst, status/*.json, truth.json.")
@pass_app
def demo(app: App, replay_dir: Path) -> None:
    """Run the whole job on the bundled replay stream and score it against the truth.

    Collect (replay) -> classify -> detect -> link to status pages -> notify, then print
    every incident with its lead over the official acknowledgement, and the totals of
    outages caught, missed and false alarms. Running it again adds nothing: every stage
    resumes where it stopped. Exit status 2: a run holds the database's lock (nothing done).
    """
    from outage_signal import notify, pipeline, report as report_module

    config, model = app.config(), app.model()
    endpoints = notify.load_endpoints(config)
    try:
        with RunLock(app.db_path, "demo"), app.store() as store, app.progress("replaying") as progress:
            summary, score = pipeline.demo(store, config, model, endpoints, replay_dir, progress=progress,
                                           echo=app.echo)
            app.echo(summary.line())
            _print_incident_table(app, report_module.incidents(store))
    except LockHeld as e:
        click.echo(f"Not running: {e}", err=True)
        sys.exit(2)
    figures = score.figures()
    app.console.print(
        f"Against the replay's truth: {figures['caught']} of {figures['outages']} outages caught, "
        f"{figures['missed']} missed, {figures['false_alarms']} false alarm(s) "
        f"({figures['false_alarms_per_service_week']} per service-week); median {figures['median_minutes_to_alarm']} "
        f"min from outage start to alarm, median lead over the status page {figures['median_lead_over_official_minutes']} min.",
        highlight=False)


@cli.command()
@listing(_print_incident_table)
@click.option("--service", default=None, help="Only this service (key from the catalog).")
@pass_app
def incidents(app: App, service: str | None) -> Rows:
    """List detected incidents, with their official acknowledgement and lead time."""
    from outage_signal import report as report_module

    known_service(app.config(), service)
    with app.store(readonly=True) as store:
        return report_module.incidents(store, service)


def _print_services_table(app: App, rows: Rows) -> None:
    table = Table(title=f"{len(rows)} services")
    for column in ("key", "name", "aliases", "subreddits", "status page"):
        table.add_column(column, overflow="fold")
    for r in rows:
        names = [*(f"{n}?" for n in r["ambiguous"]), *r["aliases"]]  # "steam?": counts only with context
        shown = ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else "")
        page = f"{r['status_page_kind']} {urlsplit(r['status_page_url']).netloc}" if r["status_page_kind"] else "-"
        table.add_row(r["key"], r["name"], shown, ", ".join(f"r/{s}" for s in r["subreddits"]), page)
    app.console.print(table)


@cli.command("services")
@listing(_print_services_table)
@pass_app
def services(app: App) -> Rows:
    """List the services watched: the bundled catalog (and optional ones) with your config's own.

    A name marked "?" in the table is ambiguous: it counts in a post only with context (an outage word
    near it, or a #hashtag/@handle/domain form). --json gives every field, the sources of each fact too.
    Add or replace services in your config (see the README, Services).
    """
    return service_rows(app.config())


# --- detector (issue 5) ---

@cli.command("detect-series")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sensitivity", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Higher alarms on less evidence (earlier, more false alarms).")
@click.option("--profile", type=click.Choice(["auto", *detector.SERIES_PROFILES]), default="auto", show_default=True,
              help="Settings for the kind of series: minute-counts (per-minute complaint counts: the service "
                   "detector's settings with a sharp-rise test, for counts alone) or mention-volume (bursty volumes of all mentions, as NAB's). auto: "
                   "minute-counts for a one-minute step of whole numbers, mention-volume otherwise.")
@click.option("--fill-missing", "fill_step", type=click.IntRange(min=1), metavar="MINUTES",
              help="The series' step, with absent steps read as 0: for counts exported with their empty "
                   "minutes left out (a GROUP BY minute query). Without it every step must have a row.")
@click.option("--online", is_flag=True,
              help="Detect as the live detector does: each alarm from the rows before it alone, none in the "
                   "first day (its warm-up).")
@click.option("--events", "all_events", is_flag=True,
              help="Print every incident event instead of the alarms alone: kind (opened, escalated, resolved), "
                   "its time, the incident's start and its complaints, expected count and peak per minute.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw the series and its incidents as a PNG: the values summed per bin of a readable "
                   "width (15 minutes for two weeks of minutes), each incident shaded from its start to its "
                   "resolution, each alarm a red line.")
@pass_app
def detect_series(app: App, csv_file: Path, sensitivity: float, profile: str, fill_step: int | None,
                  online: bool, all_events: bool, plot_file: Path | None) -> None:
    """Print the alarm timestamps of one `timestamp,value` series as CSV (with --events, every incident event).

    The file is history: the series' normal (its daily and weekly rhythm, how much it wanders) is
    learnt from all of it first, then each alarm is placed at the minute a detector that knew it
    would have raised it, the first day included. `--online` detects as the live detector does
    instead, from the rows before each alarm alone.

    Any regular step that divides an hour works: per-minute complaint counts, or NAB's 5-minute
    Twitter volumes, whose alarms can be scored with NAB's own code (its rules ask for an online
    detector):

    \b
        outage-signal detect-series --online Twitter_volume_AAPL.csv > alarms.csv

    Per-minute counts that leave out the minutes with none: `--fill-missing 1`. An optional
    `mentions` column (each step's mentions of the service, the counted complaints included) lets
    a rise of all mentions at once, news or a launch, pass as hype instead of an outage. `--events`
    prints each incident's opening, escalations and resolution with its start and complaints;
    `--plot FILE.png` also draws the series with its incidents.
    """
    series = detector.read_series_csv(csv_file, fill_step=fill_step)
    events = detector.series_events(series.values, series.timestamps, sensitivity=sensitivity, profile=profile,
                                    mentions=series.mentions, online=online)
    moment = "%Y-%m-%d %H:%M:%S"
    if all_events:
        click.echo("kind,timestamp,started_at,complaints,expected,peak_per_minute")
        for e in events:
            click.echo(f"{e.kind},{e.at:{moment}},{e.started_at:{moment}},{e.complaints},{e.expected:.1f},"
                       f"{e.peak_per_minute:g}")
    else:
        click.echo("timestamp")
        for e in events:
            if e.kind == "opened":
                click.echo(f"{e.at:{moment}}")
    if plot_file is not None:
        from outage_signal import report

        opened = sum(e.kind == "opened" for e in events)
        report.plot_series(series.timestamps, series.values, events, plot_file,
                           f"{csv_file.name}: {opened} alarm(s){' (online)' if online else ''}")
        if not app.quiet:
            click.echo(f"wrote {plot_file}", err=True)


@cli.command("evaluate-detector")
@listing(_print_figures)
@click.option("--replay", "replay_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_REPLAY,
              show_default=True, help="Replay folder with truth.json.")
@pass_app
def evaluate_detector(app: App, replay_dir: Path) -> Rows:
    """Score the whole pipeline on a replay against its truth, in a throw-away database.

    Prints recall, false alarms per service-week, median minutes from outage start to
    alarm and median lead over the official acknowledgement. The sensitivity is the
    config's `[detector] sensitivity`. (NAB scores: `python benchmarks/detector_nab.py`.)
    """
    return [evaluate_detector_on_replay(app, replay_dir)]


def evaluate_detector_on_replay(app: App, replay_dir: Path) -> dict[str, Any]:
    from outage_signal import pipeline

    config, model = app.config(), app.model()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "evaluate.db") as store:
        with app.progress("replaying") as progress:
            _, score = pipeline.demo(store, config, model, [], replay_dir, progress=progress, echo=lambda _: None)
    return score.figures()


# --- the scheduled job (issue 6) ---

@cli.command()
@click.option("--dry-run", is_flag=True, help="Collect, classify and detect, but only show what would be sent.")
@click.option("--replay", "replay_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also read a replay folder as a source (for trying the job offline).")
@click.option("--no-status-pages", is_flag=True, help="Do not read the configured status pages.")
@pass_app
def run(app: App, dry_run: bool, replay_dir: Path | None, no_status_pages: bool) -> None:
    """One pass of the job: every source since its cursor, classify, count, detect, link, notify.

    Sources: the configured Statuspage status pages (public), Reddit's new posts in the
    catalog's subreddits when OUTAGE_SIGNAL_REDDIT_CLIENT_ID / _CLIENT_SECRET (or
    OUTAGE_SIGNAL_REDDIT_SITE) are set, Bluesky searches when OUTAGE_SIGNAL_BLUESKY_HANDLE /
    _APP_PASSWORD are set, and --replay DIR. Made for cron, a systemd timer or a CI schedule. Ends with a one-line summary. Exit
    status: 0 all well, 1 an error, 2 another run holds the lock (nothing done), 3 some
    source failed (the others were still processed), 4 some notification could not be
    delivered and was given up (`outage-signal deliveries --status dead`); 3 when both.
    """
    summary = run_once(app, dry_run, replay_dir, no_status_pages)
    if summary is None:
        sys.exit(2)
    sys.exit(3 if summary.ingest.failures else 4 if summary.delivery and summary.delivery.dead else 0)


def run_once(app: App, dry_run: bool, replay_dir: Path | None, no_status_pages: bool) -> pipeline.PassSummary | None:
    from outage_signal import notify, pipeline, sources

    config, model = app.config(), app.model()
    endpoints = notify.load_endpoints(config)
    try:
        with RunLock(app.db_path, "run"), app.store() as store:
            to_read = sources.run_sources(store, config, replay_dir, status_pages=not no_status_pages)
            run_id = store.start_run("run")
            try:
                with app.progress("running") as progress:
                    summary = pipeline.run_pass(store, config, model, to_read, endpoints, dry_run=dry_run,
                                                progress=progress, echo=app.echo)
            except Exception as e:
                store.finish_run(run_id, "failed", {"error": f"{type(e).__name__}: {e}"})
                raise
            store.finish_run(run_id, "failed" if summary.ingest.failures else "ok",
                             {"line": summary.line(), "failures": summary.ingest.failures})
    except LockHeld as e:
        click.echo(f"Not running: {e}", err=True)
        return None
    for source, error in summary.ingest.failures.items():
        click.echo(f"source {source} failed: {error}", err=True)
    click.echo(summary.line())
    return summary


@cli.command()
@click.option("--every", default="60s", show_default=True, help="Pause between passes: 30s, 5m, 1h.")
@click.option("--replay", "replay_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also read a replay folder as a source.")
@click.option("--no-status-pages", is_flag=True, help="Do not read the configured status pages.")
@click.option("--passes", type=int, default=0, help="Stop after this many passes (0: run until Ctrl-C).")
@pass_app
def watch(app: App, every: str, replay_dir: Path | None, no_status_pages: bool, passes: int) -> None:
    """Run the job's pass in a loop, for people without cron. Ctrl-C stops it."""
    pause = parse_duration(every)
    done = 0
    try:
        while True:
            run_once(app, False, replay_dir, no_status_pages)
            done += 1
            if passes and done >= passes:
                return
            time.sleep(pause)
    except KeyboardInterrupt:
        click.echo("stopped")


@cli.command("stream")
@click.option("--source", type=click.Choice(["bluesky", "reddit"]), default="bluesky", show_default=True,
              help="bluesky: Jetstream, every public post as it is written; reddit: the catalog's subreddits "
                   "polled as often as Reddit's rate limits allow.")
@click.option("--endpoint", "endpoints", multiple=True, metavar="URL",
              help="A Jetstream subscribe URL (wss://host/subscribe); repeat for failover, in order "
                   "[default: the config's [stream] endpoints: Bluesky's four public instances unless set].")
@click.option("--stall-seconds", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Reconnect when nothing arrives for this long [default: the config's, else 30].")
@click.option("--min-interval", type=click.FloatRange(min=1), default=5.0, show_default=True,
              help="Reddit: the shortest pause between two polls, however much budget is left.")
@click.option("--status-every", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Seconds between status lines.")
@pass_app
def stream_command(app: App, source: str, endpoints: tuple[str, ...], stall_seconds: float | None,
                   min_interval: float, status_every: float) -> None:
    """Read every public Bluesky post as it is written (Jetstream), keep those naming a catalog service,
    and classify, count, detect and notify each minute. Needs no account.

    Resumes a few seconds before the last event stored, after a restart or a crash, storing nothing
    twice; a dropped or silent connection is opened again (next endpoint, with backoff). Prints a
    status line every minute: events/s, candidates, new posts, complaints, lag behind real time.
    SIGTERM or Ctrl-C stores the last batch and its cursor, then exits 0. Exit status 2: another
    stream of the same source reads into this database. Status pages still come from `run` (cron).

    With --source reddit it follows the catalog's subreddits instead: their new posts and comments
    (one combined listing each, r/a+b+c/new and /comments), polled again as soon as Reddit's
    rate-limit budget allows (never sooner than --min-interval), each listing stored with its
    cursor, each minute analysed. Needs the Reddit credentials `run` uses.
    """
    from outage_signal import notify, streaming
    from outage_signal.collector.reddit import RateLimitMeter, RedditError, reddit_from_env

    config, model = app.config(), app.model()
    if source == "reddit" and (endpoints or stall_seconds):
        raise click.UsageError("--endpoint and --stall-seconds are for --source bluesky")
    for url in endpoints:
        if not url.startswith(("ws://", "wss://")):
            raise click.BadParameter(f"{url!r}: expected a ws:// or wss:// URL", param_hint="--endpoint")
    echo = (lambda _: None) if app.quiet else click.echo  # flushed: journald reads it
    stop = threading.Event()
    if source == "reddit":
        meter = RateLimitMeter()
        try:
            reddit = reddit_from_env(meter=meter)
        except RedditError as e:
            raise click.ClickException(str(e)) from None

        def follow(store: Store) -> Any:
            return streaming.follow_reddit(store, config, model, notify.load_endpoints(config), reddit, meter,
                                           stop=stop, min_interval=min_interval, status_every=status_every,
                                           echo=echo)
    else:
        def follow(store: Store) -> Any:
            return streaming.stream(store, config, model, notify.load_endpoints(config),
                                    endpoints or config.stream.endpoints, stop=stop,
                                    stall_seconds=stall_seconds or config.stream.stall_seconds,
                                    status_every=status_every, echo=echo)

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():  # a second Ctrl-C: the person does not want to wait
            raise KeyboardInterrupt
        app.echo(f"stopping ({signal.Signals(signum).name}): storing the last batch")
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    lock = Path(f"{app.db_path}.stream" if source == "bluesky" else f"{app.db_path}.stream-reddit")
    try:
        with RunLock(lock, "stream"), app.store() as store:
            summary = follow(store)
    except LockHeld as e:
        click.echo(f"Not streaming: {e}", err=True)
        sys.exit(2)
    except RedditError as e:  # refused credentials, or a body that is not a listing
        raise click.ClickException(str(e)) from None
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    click.echo(summary.line())


def parse_duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)
    except (ValueError, IndexError):
        raise click.BadParameter(f"{text!r}: expected a duration like 30s, 5m or 1h", param_hint="--every") from None


@cli.command("deliveries")
@listing(_print_generic_table)
@click.option("--status", type=click.Choice(["pending", "delivered", "dead"]), default=None,
              help="Only rows of this status [default: pending and dead].")
@pass_app
def deliveries(app: App, status: str | None) -> Rows:
    """List webhook deliveries: pending (will be retried) and dead (gave up) by default."""
    with app.store(readonly=True) as store:
        rows = store.deliveries(status)
    return rows if status else [r for r in rows if r["status"] != "delivered"]


@cli.command("test-webhook")
@click.argument("url")
@click.option("--format", "fmt", type=click.Choice(get_args(WebhookFormat)), default="generic", show_default=True)
@click.option("--secret-env", default="OUTAGE_SIGNAL_WEBHOOK_SECRET", show_default=True,
              help="Environment variable holding the signing secret (whsec_...): generic, slack, discord.")
@click.option("--routing-key-env", default="PAGERDUTY_ROUTING_KEY", show_default=True,
              help="Environment variable holding the Events API v2 routing key: pagerduty.")
def test_webhook(url: str, fmt: str, secret_env: str, routing_key_env: str) -> None:
    """Send a sample `incident.opened` event to URL in a webhook format and say whether it was accepted.

    Alertmanager's URL is its base URL; PagerDuty's https://events.pagerduty.com/v2/enqueue; Apprise's an
    Apprise URL (${VARIABLES} are read from the environment). Alertmanager and PagerDuty get the sample
    incident resolved right after, so nobody stays paged. A generic event without the secret goes
    unsigned, with a warning: a receiver that checks signatures would refuse the real ones."""
    from outage_signal import notify

    secret = routing_key = None
    if fmt == "pagerduty":
        routing_key = notify.read_environment(routing_key_env, "--routing-key-env")
    elif fmt in ("generic", "slack", "discord") and os.environ.get(secret_env):
        secret = notify.read_secret(secret_env, "--secret-env")  # a malformed secret: one line, not a traceback
    elif fmt == "generic":
        click.echo(f"warning: ${secret_env} is not set: the sample event is sent unsigned", err=True)
    error = notify.test_webhook(url, secret, fmt, routing_key=routing_key)
    if error:
        raise click.ClickException(f"not delivered: {error}")
    what = "sample event" if fmt not in ("alertmanager", "pagerduty") else "sample incident (opened, resolved)"
    target = url if fmt != "apprise" else "the Apprise URL"  # it may hold a token
    click.echo(f"delivered a{'n unsigned' if fmt == 'generic' and not secret else ''} {what} to {target}")


# --- classifier (issue 4) ---

@cli.command("train")
@click.option("--dataset", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_DATASET,
              show_default=True, help="Labeled posts CSV: text, label, group, ...")
@click.option("--include", "include", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also train on this label file (as `outage-signal label` writes); repeatable.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_MODEL,
              show_default=True, help="Where to write the model (and its .json metadata).")
@click.option("--min-precision", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="Choose the threshold with the best validation F1 among those whose precision reaches this "
                   "(fewer false complaints, fewer caught); 0: the best validation F1.")
@pass_app
def train_command(app: App, dataset: Path, include: tuple[Path, ...], model_path: Path,
                  min_precision: float) -> None:
    """Retrain the complaint classifier from the labeled dataset, and report its held-out figures.

    The threshold is chosen on validation predictions for the best F1, or with --min-precision for
    the best F1 at that precision. Rows of --include files are added to the training rows only: the
    held-out figures stay comparable from one training to the next. A bad row of such a file is
    named and skipped."""
    from outage_signal.classifier.train import train

    print_bad_rows(include)
    with app.console.status("training", spinner="dots") if not app.quiet else contextlib.nullcontext():
        metadata = train(dataset, model_path, include=include, min_precision=min_precision)
    for message in metadata["include_left_out"]:
        click.echo(f"warning: {message}", err=True)
    test, written = metadata["test"], metadata["written_test"]
    click.echo(f"model {metadata['version']} -> {model_path}; threshold {metadata['threshold']:.3f}; real test split "
               f"({test['rows']} posts): precision {test['precision']}, recall {test['recall']}, F1 {test['f1']}, "
               f"PR-AUC {test['pr_auc']}; written test split: F1 {written['f1']}")


@cli.command("evaluate")
@click.option("--dataset", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_DATASET,
              show_default=True)
@click.option("--on", "on", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Score every row of this label file (as `outage-signal label` writes) instead of the held-out split.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_MODEL,
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The whole report as JSON.")
@pass_app
def evaluate_command(app: App, dataset: Path, on: Path | None, model_path: Path, as_json: bool) -> None:
    """Precision, recall, F1, PR-AUC and confusion matrix on the real posts' test split (per language and
    source part), then on the written posts' test split, and service attribution on real complaints
    (or all of it on a label file's rows with --on; a bad row of it is named and skipped)."""
    from outage_signal.classifier.train import evaluate

    print_bad_rows([on] if on else [])
    report = evaluate(model_path, dataset, app.config().matcher_names(), on=on)
    if as_json:
        click.echo(json.dumps(report, indent=1))
        return
    click.echo(f"model {report['model_version']}, threshold {report['threshold']:.3f}")
    if "on" in report:
        _echo_labeled_figures(f"{report['on']['file']}", report["on"])
    else:
        _echo_labeled_figures("the real posts' test split (threads never seen in training)", report["real"])
        w = report["written"]["overall"]
        click.echo(f"written posts, test split ({w['rows']} posts): precision {w['precision']}  recall {w['recall']}  "
                   f"F1 {w['f1']}  PR-AUC {w['pr_auc']}")
    if "service_attribution" in report:
        a = report["service_attribution"]
        click.echo(f"service attribution: {a['accuracy']} of {a['complaints_naming_a_catalog_service']} complaints naming "
                   f"a catalog service ({a['complaints_naming_none']} complaints name none)")


def _echo_labeled_figures(title: str, figures: dict[str, Any]) -> None:
    o, b = figures["overall"], figures["borderline"]
    (tn, fp), (fn, tp) = o["confusion_matrix"]
    click.echo(f"{o['rows']} posts of {title}, borderline ones left out:")
    click.echo(f"precision {o['precision']}  recall {o['recall']}  F1 {o['f1']}  PR-AUC {o['pr_auc']}  Brier {o['brier']}")
    click.echo(f"confusion: {tp} true complaints caught, {fn} missed, {fp} false, {tn} true negatives")
    for heading, key in (("", "english_and_other"), ("language", "per_language"), ("source part", "per_part")):
        for name, m in sorted(figures[key].items(), key=lambda item: -item[1]["rows"]):
            click.echo(f"  {f'{heading} {name}'.strip():29} precision {m['precision']:.3f} recall {m['recall']:.3f} "
                       f"F1 {m['f1']:.3f} ({m['rows']} posts)")
    click.echo(f"borderline posts ({b['rows']}, not in the figures above): precision {b['precision']} recall {b['recall']}")


def print_bad_rows(label_files: Sequence[Path]) -> None:
    """One line per bad row of the label files (on stderr, before the result): the rest of each file loads."""
    for path in label_files:
        for error in read_labeled(path).errors:
            click.echo(f"skipped {error}", err=True)


@cli.command("label")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The label file to add to, created if missing [default: my-labels.tsv in the database's folder].")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Ask about this many of the posts the model is least sure of...")
@click.option("--random", "random_count", type=click.IntRange(min=0), default=3, show_default=True,
              help="...and this many others drawn at random.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_MODEL,
              show_default=True, help="The model whose stored probabilities pick the posts.")
@pass_app
def label(app: App, out: Path | None, limit: int, random_count: int, model_path: Path) -> None:
    """Label stored posts yourself, to retrain the model on them (`train --include FILE`).

    Shows the posts the model is least sure of, and a few random ones, each with the services it
    names and the model's probability. Keys: y (a complaint: the service is down or failing now),
    n (not), s (skip), u (undo the last answer), q (quit). Each answer is saved at once; run it
    again to go on where you stopped. Answers can also come from standard input, one per line:

        printf 'y\\nn\\nq\\n' | outage-signal label
    """
    from outage_signal import labeling

    model = app.model(model_path)
    out = out or labeling.default_label_file(app.db_path)
    with app.store(readonly=True) as store:  # the answers go to the label file, never to the database
        session = labeling.label(store, model.version, model.threshold, out, limit, random_count)
    click.echo(session.line(out))


@cli.command("classify")
@click.argument("source", type=click.File("r", encoding="utf-8", errors="replace"), default="-")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_MODEL,
              show_default=True)
@pass_app
def classify_command(app: App, source, model_path: Path) -> None:
    """Label posts from SOURCE (a file, or standard input): one JSON line out per post.

    Input is plain text, one post per line, or JSON lines with a "text" field. Output:
    {"line", "probability", "is_complaint", "services"}. Needs no database.

        echo "is github down? 502 on every push" | outage-signal classify
    """
    from outage_signal.classifier.train import classify_lines

    model = app.model(model_path)
    matcher = ServiceMatcher(**app.config().matcher_names())
    for row in classify_lines(source, model, matcher):
        click.echo(json.dumps(row))


@cli.command("reclassify")
@pass_app
def reclassify(app: App) -> None:
    """Relabel every stored post with the current model and rebuild the counts."""
    from outage_signal import pipeline

    model, config = app.model(), app.config()
    with app.store() as store:
        total = store.post_count()
        with app.progress("reclassifying", total) as progress:
            labeled = pipeline.reclassify(store, model, ServiceMatcher(**config.matcher_names()), progress)
    click.echo(f"{labeled} posts labeled by model {model.version}; counts rebuilt")


# --- collectors (issue 3) ---

@cli.command("backfill")
@click.option("--source", type=click.Choice(["reddit", "bluesky", "status"]), required=True)
@click.option("--since", required=True, help="Window start (ISO date or time, UTC).")
@click.option("--until", default=None, help="Window end (ISO date or time, UTC) [default: now].")
@click.option("--service", default=None, help="Only this service's subreddits, queries or status page.")
@pass_app
def backfill(app: App, source: str, since: str, until: str | None, service: str | None) -> None:
    """Collect a past window from one source, then classify, detect and link (no notifications).

    Bluesky is searched with since/until; Reddit's listings reach back about 1,000 posts
    (older history: `outage-signal import` a Pushshift/Arctic Shift dump); status pages give
    their recent incidents. Resumable: each window keeps cursors of its own. A window behind
    where detection already stands is detected again from the first stored minute: its
    incidents are recorded and linked, not notified.
    """
    from outage_signal import pipeline, sources

    config = app.config()
    if known_service(config, service):
        config = dataclasses.replace(config, services={service: config.services[service]})
    start, end = time_window(since, until)
    now = datetime.now(timezone.utc)
    if start > now:
        raise click.ClickException(f"--since {since} is in the future: there is nothing to collect yet")
    with app.store() as store, app.progress(f"backfilling {source}") as progress:
        try:
            summary = pipeline.backfill(store, config, app.model(), source, start, end or now, progress=progress)
        except sources.CollectorSetupError as e:
            raise click.ClickException(str(e)) from None
    for name, error in summary.ingest.failures.items():
        click.echo(f"source {name} failed: {error}", err=True)
    click.echo(summary.line())
    if summary.ingest.failures:
        sys.exit(3)


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_command(app: App, files: tuple[Path, ...]) -> None:
    """Load bulk dumps: JSON lines, CSV, or zstandard NDJSON Reddit dumps (Pushshift / Arctic Shift).

    Streams each file with constant memory and resumes an interrupted import. Lines that
    cannot be read are counted and listed with their line numbers; the rest is loaded. A CSV
    needs the header id,text,author,created_at (a UTF-8 BOM is fine). A file that cannot be
    read at all (binary, wrong header, a cut .zst: what came before the cut is loaded) or
    that loads nothing gets one line, and the exit status is 3.
    Then `outage-signal run --no-status-pages` classifies and detects (history behind where
    detection stands is detected again, without notifications).

        outage-signal import RS_2024-06.zst RC_2024-06.zst
    """
    from outage_signal import pipeline

    with app.store() as store, app.progress("importing") as progress:
        report = pipeline.import_files(store, list(files), progress)
    for problem in report.malformed[:20]:
        click.echo(f"skipped {problem.location}: {problem.reason}", err=True)
    if len(report.malformed) > 20:
        click.echo(f"... and {len(report.malformed) - 20} more skipped lines", err=True)
    for path, error in report.failures.items():
        click.echo(f"{path}: {error}", err=True)
    click.echo(f"{report.new_posts} new posts from {len(files)} file(s), {len(report.malformed)} malformed line(s)")
    if report.failures:
        sys.exit(3)


# --- status, report, plot (issue 7) ---

@cli.command("status")
@listing(_print_status_table)
@pass_app
def status_command(app: App) -> Rows:
    """One row per service: the last hour against its baseline, open incident, last official
    status, last collection and failing sources; and how far the Bluesky stream's last stored event
    is behind real time (stream_lag_seconds, when `stream` has run), and the Reddit follower's last
    complete poll (reddit_follow_lag_seconds, when `stream --source reddit` has run)."""
    from outage_signal import report as report_module

    with app.store(readonly=True) as store:
        return report_module.status(store, app.config())


@cli.command("report")
@click.option("--since", default=None, help="Start (ISO date or time, UTC).")
@click.option("--until", default=None, help="End (ISO date or time, UTC).")
@click.option("--service", default=None, help="Only this service.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("report"),
              show_default=True, help="Folder for index.html and the plots.")
@pass_app
def report(app: App, since: str | None, until: str | None, service: str | None, out_dir: Path) -> None:
    """Write a self-contained HTML report: per service, complaints against the baseline band with
    incidents, acknowledgements and lead times, and a table of incidents with sample posts."""
    from outage_signal import report as report_module

    config = app.config()
    known_service(config, service)
    start, end = time_window(since, until)
    with app.store(readonly=True) as store:
        index = report_module.report(store, config, out_dir, iso(start), iso(end), service)
    click.echo(f"wrote {index}")


@cli.command("plot")
@click.argument("service")
@click.option("--since", default=None, help="Start (ISO date or time, UTC).")
@click.option("--until", default=None, help="End (ISO date or time, UTC).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PNG file [default: SERVICE.png].")
@pass_app
def plot(app: App, service: str, since: str | None, until: str | None, out: Path | None) -> None:
    """One service's complaints against its baseline as a PNG."""
    from outage_signal import report as report_module

    known_service(app.config(), service)
    start, end = time_window(since, until)
    with app.store(readonly=True) as store:
        path = report_module.plot(store, service, out or Path(f"{service}.png"), iso(start), iso(end))
    click.echo(f"wrote {path}")


def time_window(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """--since and --until as UTC moments; an empty window (since not before until) is refused."""
    start, end = utc_moment(since, "--since"), utc_moment(until, "--until")
    if start and end and start >= end:
        raise click.ClickException(f"--since {since} is not before --until {until}: the window is empty")
    return start, end


def utc_moment(value: str | None, option: str) -> datetime | None:
    """A user's ISO date or time (UTC unless it says otherwise)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"{option} {value!r}: expected an ISO date or time such as 2026-09-10 or "
                                   "2026-09-10T14:00") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. 0.0.0.0 (or ::) listens on every interface: put a reverse proxy with TLS "
                   "and authentication in front of it rather than exposing it as it is.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on (0: any free port, printed on start).")
@click.option("--now", "now_text", default=None,
              help="Show the board as of this moment (ISO date or time, UTC) [default: now, or the newest stored "
                   "minute when nothing was stored in the last hour].")
@pass_app
def serve_command(app: App, host: str, port: int, now_text: str | None) -> None:
    """Serve a live status board, a JSON API and Prometheus metrics from the database, read-only.

    The board (/) shows every service's complaining authors per minute over the last hours
    against its normal band, its open incident with its lead over the status page and the status
    page's last word, and links to a page per service and per incident with sample posts; it
    reloads itself every 30 s. JSON: /api/services, /api/services/KEY, /api/incidents,
    /api/incidents/ID. /healthz for probes, /metrics for Prometheus. Safe beside `run` and `stream`
    writing to the same database. Ctrl-C or SIGTERM stops it.

        outage-signal serve --port 8080
    """
    from outage_signal import serve as serve_module  # the web stack loads only for this command

    try:
        serve_module.serve(app.db_path, app.config_path, host, port, utc_moment(now_text, "--now"), echo=click.echo)
    except serve_module.ServeError as e:
        raise click.ClickException(str(e)) from None


@cli.command("posts")
@listing(_print_generic_table)
@click.option("--service", default=None, help="Only posts naming this service.")
@click.option("--complaints-only", is_flag=True, help="Only posts classified as complaints.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many posts.")
@pass_app
def posts(app: App, service: str | None, complaints_only: bool, limit: int) -> Rows:
    """List stored posts, newest first, with their labels."""
    known_service(app.config(), service)
    with app.store(readonly=True) as store:
        return store.posts(service, complaints_only, limit)


if __name__ == "__main__":
    cli()
