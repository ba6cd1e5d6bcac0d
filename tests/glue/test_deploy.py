"""The deployment examples in deploy/ (a systemd unit and a Containerfile) name real commands, options
and files. Neither is run here: the machine has no container engine and systemd is not its init; the
unit is checked with `systemd-analyze verify` where that exists."""
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from outage_signal.cli import cli

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "outage-signal-stream.service"
CONTAINERFILE = REPO / "deploy" / "Containerfile"
PACKAGE_DIRS = ["outage_signal", "collector", "classifier", "detector", "models", "datasets"]


def cli_env_vars() -> set[str]:
    return {param.envvar for param in cli.params if param.envvar}


def runs_with_help(args: list[str]) -> bool:
    return CliRunner().invoke(cli, [*args, "--help"]).exit_code == 0


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_the_units_command_and_environment_are_the_clis():
    [exec_start] = unit_settings()["ExecStart"]
    program, *args = shlex.split(exec_start)
    assert program.endswith("/bin/outage-signal") and args == ["stream"] and runs_with_help(args)
    names = {assignment.split("=", 1)[0] for assignment in unit_settings()["Environment"]}
    assert names - {"PYTHONUNBUFFERED"} <= cli_env_vars() and "OUTAGE_SIGNAL_DB" in names


def test_the_containerfiles_entrypoint_and_cmd_are_a_real_command_and_it_copies_what_the_package_needs():
    text = CONTAINERFILE.read_text()
    instructions = [line for line in re.sub(r"\\\n", " ", text).splitlines() if line and not line.startswith("#")]
    by_name = {}
    for line in instructions:
        name, _, rest = line.partition(" ")
        by_name.setdefault(name, []).append(rest.strip())
    [entrypoint], [cmd] = by_name["ENTRYPOINT"], by_name["CMD"]
    assert json.loads(entrypoint) == ["outage-signal"] and runs_with_help(json.loads(cmd))
    copied = {part for copy in by_name["COPY"] for part in copy.split()[:-1]}
    assert copied == {"pyproject.toml", "README.md", *PACKAGE_DIRS}  # what a wheel is built from
    assert all((REPO / name).exists() for name in copied)
    env = dict(pair.split("=", 1) for line in by_name["ENV"] for pair in shlex.split(line))
    assert set(env) - {"PYTHONUNBUFFERED"} <= cli_env_vars() and by_name["STOPSIGNAL"] == ["SIGTERM"]


def test_the_readme_points_at_both_files():
    readme = (REPO / "README.md").read_text()
    assert "deploy/outage-signal-stream.service" in readme and "deploy/Containerfile" in readme


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path):
    # verify also checks that ExecStart exists: point it at this environment's outage-signal.
    here = Path(sys.executable).parent / "outage-signal"
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/srv/outage-signal/.venv/bin/outage-signal", str(here)))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")  # it warns on stderr, with status 0
