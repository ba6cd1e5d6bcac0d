"""A clone and an install that work alone: nothing reads the project's shared folder, and a wheel runs
the demo from any folder without the checkout."""
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Developer scripts that rebuild committed files from the project's shared data; the tests never run them.
MAKERS = {*REPO.glob("tests/cassettes/make_*.py"), REPO / "datasets" / "labeled" / "generate.py",
          REPO / "datasets" / "scenario-stats" / "derive.py"}
PACKAGE_DIRS = ["outage_signal", "collector", "classifier", "detector", "models", "datasets"]
SHARED = re.compile(r"""\.\./shared|["']shared["']""")  # "../shared", or a path built as ... / "shared" / ...


def test_no_test_or_package_module_reads_the_shared_folder():
    sources = {*REPO.joinpath("tests").rglob("*.py"), *(p for d in PACKAGE_DIRS for p in REPO.joinpath(d).rglob("*.py"))}
    readers = [str(p.relative_to(REPO)) for p in sorted(sources - MAKERS - {Path(__file__).resolve()})
               if SHARED.search(p.read_text())]
    assert readers == [], "a user's clone has no ../shared: copy the fixture into tests/data (with its SOURCE.txt)"



def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    command = re.search(r"Run the tests.*?```bash\n(.+?)\n```", readme, re.S).group(1)
    assert command == ".venv/bin/python -m pytest"
    assert (REPO / ".ci" / "run").read_text().rstrip().splitlines()[-1] == command


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (building in place would leave build/ in the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ["pyproject.toml", "README.md"]:
        shutil.copy(REPO / name, source)
    for name in PACKAGE_DIRS:
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", source, "-w", tmp], check=True, capture_output=True, cwd=tmp)
    [built] = tmp.glob("outage_signal-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_installs_under_its_own_name_with_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert not top_level & {"collector", "classifier", "detector", "models", "datasets"}, top_level
    for data in ["outage_signal/models/complaint-classifier.skops", "outage_signal/default_services.toml",
                 "outage_signal/datasets/replay/posts.jsonl.zst", "outage_signal/datasets/replay/truth.json",
                 "outage_signal/datasets/scenario-stats/github-incidents.json",
                 "outage_signal/datasets/scenario-stats/nab-rhythm.json",
                 "outage_signal/web/templates/board.html", "outage_signal/web/static/board.css"]:
        assert data in names
    assert any(n.startswith("outage_signal/collector/") for n in names)


@pytest.mark.slow
def test_the_unpacked_wheel_runs_the_demo_from_another_folder(wheel, tmp_path):
    unpacked, elsewhere = tmp_path / "unpacked", tmp_path / "elsewhere"
    zipfile.ZipFile(wheel).extractall(unpacked)
    elsewhere.mkdir()
    # -S: site-packages is not processed, so the editable install's .pth (and its import finder that maps
    # outage_signal.* to this checkout) never runs; the dependencies come from site-packages on PYTHONPATH.
    site_packages = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(unpacked), *site_packages]), "COLUMNS": "1000"}

    def python(*args: str) -> str:
        done = subprocess.run([sys.executable, "-S", *args], capture_output=True, text=True, cwd=elsewhere, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = python("-c", "import importlib.util as u, outage_signal.cli, outage_signal.collector as c;"
                   "print(outage_signal.cli.__file__, c.__file__, *(u.find_spec(n) for n in ['collector', 'classifier', 'detector']))")
    assert where.split() == [str(unpacked / "outage_signal" / "cli.py"),
                             str(unpacked / "outage_signal" / "collector" / "__init__.py"), "None", "None", "None"]
    out = python("-m", "outage_signal.cli", "--db", str(tmp_path / "x.db"), "demo")
    assert re.fullmatch(r"Against the replay's truth: \d+ of \d+ outages caught, .*", out.splitlines()[-1]), out[-500:]
    # serve's templates and stylesheet are package data too: the installed board renders.
    served = python("-c", "from starlette.testclient import TestClient; from outage_signal.serve import create_app;"
                    "from outage_signal.config import load_config; import sys;"
                    f"client = TestClient(create_app({str(tmp_path / 'x.db')!r}, load_config()));"
                    "print(*(client.get(path).status_code for path in ['/', '/static/board.css']), client.get('/').text)")
    assert served.startswith("200 200 ") and 'id="service-chatgpt"' in served
