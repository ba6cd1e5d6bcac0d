"""The ``outage-signal`` command line: each command is a thin shell over a Python function of the same name."""
from __future__ import annotations

import csv
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

import detector
from classifier import DEFAULT_MODEL, ComplaintClassifier, ModelLoadError
from outage_signal import notify, pipeline
from outage_signal.config import DEFAULT_DB, DEFAULT_REPLAY, Config, ConfigError, load_config
from outage_signal.store import Store, StoreError

# Errors a person can act on: shown as one line, exit status 1, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (ConfigError, StoreError, ModelLoadError, detector.DetectorError)


class OutageSignalGroup(click.Group):
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

    def store(self) -> Store:
        return Store(self.db_path)

    def model(self, path: Path = DEFAULT_MODEL) -> ComplaintClassifier:
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


@click.group(cls=OutageSignalGroup)
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), envvar="OUTAGE_SIGNAL_DB",
              default=DEFAULT_DB, show_default=True, help="SQLite database file (env OUTAGE_SIGNAL_DB).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="OUTAGE_SIGNAL_CONFIG",
              default=None, help="Service catalog TOML (env OUTAGE_SIGNAL_CONFIG) [default: the bundled catalog].")
@click.option("--quiet", "-q", is_flag=True, help="Print only results and errors: no progress, no notices.")
@click.version_option(package_name="outage-signal")
@click.pass_context
def cli(ctx: click.Context, db_path: Path, config_path: str | None, quiet: bool) -> None:
    """Outage Signal: spot service outages from what people post, before the status page does.

    Start with `outage-signal demo`: it replays two bundled weeks of posts, detects the
    outages in them and shows how early each was caught.
    """
    ctx.obj = App(db_path, config_path, quiet, Console(stderr=False))


@cli.command()
@click.option("--replay", "replay_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_REPLAY,
              show_default=True, help="Replay folder: posts.jsonl.zst, status/*.json, truth.json.")
@pass_app
def demo(app: App, replay_dir: Path) -> None:
    """Run the whole job on the bundled replay stream and score it against the truth.

    Collect (replay) -> classify -> detect -> link to status pages -> notify, then print
    every incident with its lead over the official acknowledgement, and the totals of
    outages caught, missed and false alarms. Running it again adds nothing: every stage
    resumes where it stopped.
    """
    config, model = app.config(), app.model()
    endpoints = notify.load_endpoints(config)
    with app.store() as store, app.progress("replaying") as progress:
        summary, score = pipeline.demo(store, config, model, endpoints, replay_dir, progress=progress,
                                       echo=app.echo)
        app.echo(summary.line())
        _print_incident_table(app, store.incidents())
    figures = score.figures()
    app.console.print(
        f"Against the replay's truth: {figures['caught']} of {figures['outages']} outages caught, "
        f"{figures['missed']} missed, {figures['false_alarms']} false alarm(s) "
        f"({figures['false_alarms_per_service_week']} per service-week); median {figures['median_minutes_to_alarm']} "
        f"min from outage start to alarm, median lead over the status page {figures['median_lead_over_official_minutes']} min.",
        highlight=False)


def _print_incident_table(app: App, incidents: Sequence[dict[str, Any]]) -> None:
    table = Table(title="Incidents")
    for column in ("service", "opened at (UTC)", "status", "complaints", "official acknowledgement", "lead"):
        table.add_column(column)
    for i in incidents:
        lead = f"{i['lead_minutes']:+.0f} min" if i["lead_minutes"] is not None else "-"
        table.add_row(i["service"], i["opened_at"][:16].replace("T", " "),
                      i["status"] + (f" {i['resolved_at'][11:16]}" if i["resolved_at"] else ""),
                      str(i["complaints"]),
                      (i["acknowledged_at"] or "never")[:16].replace("T", " "), lead)
    app.console.print(table)


@cli.command()
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@click.option("--json", "as_json", is_flag=True, help="Shorthand for --format json.")
@click.option("--csv", "as_csv", is_flag=True, help="Shorthand for --format csv.")
@click.option("--service", default=None, help="Only this service (key from the catalog).")
@pass_app
def incidents(app: App, output_format: str, as_json: bool, as_csv: bool, service: str | None) -> None:
    """List detected incidents, with their official acknowledgement and lead time."""
    with app.store() as store:
        rows = store.incidents(service)
    emit_rows(app, rows, "json" if as_json else "csv" if as_csv else output_format, _print_incident_table)


def emit_rows(app: App, rows: Sequence[dict[str, Any]], output_format: str, table: Any) -> None:
    """Print a listing as a table, JSON lines or CSV: the one way every listing command outputs."""
    if output_format == "json":
        for row in rows:
            click.echo(json.dumps(row, default=str))
    elif output_format == "csv":
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        table(app, rows)


# --- detector (issue 5) ---

@cli.command("detect-series")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sensitivity", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Higher alarms on less evidence (earlier, more false alarms).")
@pass_app
def detect_series(app: App, csv_file: Path, sensitivity: float) -> None:
    """Print the alarm timestamps of one `timestamp,value` series as CSV.

    Any regular step that divides an hour works (NAB's 5-minute Twitter volumes, say), so
    the alarms can be scored with NAB's own code:

        outage-signal detect-series Twitter_volume_AAPL.csv > alarms.csv
    """
    stamps, values = detector.read_series_csv(csv_file)
    click.echo("timestamp")
    for alarm in detector.detect_series(values, stamps, sensitivity=sensitivity):
        click.echo(alarm.strftime("%Y-%m-%d %H:%M:%S"))


@cli.command("evaluate-detector")
@click.option("--replay", "replay_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_REPLAY,
              show_default=True, help="Replay folder with truth.json.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@pass_app
def evaluate_detector(app: App, replay_dir: Path, as_json: bool) -> None:
    """Score the whole pipeline on a replay against its truth, in a throw-away database.

    Prints recall, false alarms per service-week, median minutes from outage start to
    alarm and median lead over the official acknowledgement. The sensitivity is the
    config's `[detector] sensitivity`. (NAB scores: `python benchmarks/detector_nab.py`.)
    """
    figures = evaluate_detector_on_replay(app, replay_dir)
    if as_json:
        click.echo(json.dumps(figures))
    else:
        for key, value in figures.items():
            click.echo(f"{key:36} {value}")


def evaluate_detector_on_replay(app: App, replay_dir: Path) -> dict[str, Any]:
    config, model = app.config(), app.model()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "evaluate.db") as store:
        with app.progress("replaying") as progress:
            _, score = pipeline.demo(store, config, model, [], replay_dir, progress=progress, echo=lambda _: None)
    return score.figures()


if __name__ == "__main__":
    cli()
