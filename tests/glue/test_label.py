"""`outage-signal label`: a person labels stored posts in a terminal; `train --include` and `evaluate --on`
use the file it writes.

The terminal session is real: the command runs in a pseudo-terminal (pexpect) and gets single key
presses, as from a person at a keyboard.
"""
import json
import re
import sqlite3
import sys

import pandas as pd
import pexpect
import pytest
from click.testing import CliRunner

from outage_signal.classifier import DEFAULT_DATASET, DEFAULT_MODEL, ComplaintClassifier
from outage_signal.classifier.dataset import COLUMNS, read_labeled
from outage_signal.classifier.train import TRAIN_ON_BORDERLINE, WRITTEN_WEIGHT, load_dataset, load_real_split, non_borderline
from outage_signal.cli import cli

HEADER = "\t".join(COLUMNS)
SHOWN = re.compile(r"\[(\d+)/(\d+)\] ([^\r\n]*?) · probability (\d\.\d{3})")


def invoke(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def spawn_label(db, out, *options):
    """The real command in a pseudo-terminal: stdin is a terminal, so it reads single key presses."""
    return pexpect.spawn(sys.executable, ["-m", "outage_signal.cli", "--db", str(db), "label", "--out", str(out),
                                          *options], encoding="utf-8", timeout=60, dimensions=(40, 120))


def next_post(session) -> tuple[str, str]:
    """Wait for the next post; its number and its header (services and probability, without the number)."""
    session.expect(SHOWN)
    number, _, services, probability = session.match.groups()
    return number, f"{services} {probability}"


def rows(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER
    return [line.split("\t") for line in lines[1:]]


def test_terminal_session_saves_answers_undoes_and_resumes(demo_run, tmp_path):
    db = demo_run[0]
    out = tmp_path / "mine.tsv"
    first = spawn_label(db, out, "--limit", "4", "--random", "0")
    shown = {}
    for key in "yns":                                        # post 1: complaint, 2: not, 3: skip
        number, shown[number] = next_post(first)
        first.send(key)                                      # one key press, no Enter
    assert next_post(first)[0] == "4"
    first.send("u")                                          # undo the skip: post 3 again
    assert next_post(first) == ("3", shown["3"])
    first.send("u")                                          # undo the "n": its row leaves the file
    assert next_post(first) == ("2", shown["2"])
    assert [row[0] for row in rows(out)] == ["1"]
    first.send("x")                                          # not a key: said, and asked again
    first.expect("'x'\\? y: complaint")
    first.send("n")
    assert next_post(first) == ("3", shown["3"])
    first.send("s")
    assert next_post(first)[0] == "4"
    first.send("q")
    first.expect("saved 2 label\\(s\\) \\(1 complaint, 1 not\\), skipped 1; .*mine.tsv holds 2 label\\(s\\)")
    first.expect(pexpect.EOF)
    first.close()
    assert first.exitstatus == 0

    saved = rows(out)
    assert [row[0] for row in saved] == ["1", "0"]
    assert all(row[4].startswith("store:replay:") and row[5].strip() and "\n" not in row[5] for row in saved)
    assert read_labeled(out).errors == []
    # Each row is the post shown, and post 1 is the one the model is least sure of.
    conn = sqlite3.connect(db)
    threshold = ComplaintClassifier.load(DEFAULT_MODEL).threshold
    for row, number in zip(saved, "12"):
        source_id = row[4].rsplit(":", 1)[1]
        probability, services = conn.execute("SELECT l.probability, l.services FROM posts p JOIN labels l ON"
                                             " l.post_id = p.id WHERE p.source_id = ?", (source_id,)).fetchone()
        assert shown[number].endswith(f"{probability:.3f}")
        assert row[1] == (json.loads(services) or [""])[0]
        if number == "1":
            nearest = conn.execute("SELECT MIN(abs(probability - ?)) FROM labels", (threshold,)).fetchone()[0]
            assert abs(probability - threshold) == pytest.approx(nearest)
    conn.close()

    # Run again: the labeled posts are not asked, the skipped one is (it comes first now).
    again = spawn_label(db, out, "--limit", "4", "--random", "0")
    assert next_post(again) == ("1", shown["3"])
    again.send("y")
    next_post(again)  # another post (its header may equal a labeled one's: the sources are checked below)
    again.sendcontrol("c")                                   # Ctrl-C quits like q: every answer is saved
    again.expect("saved 1 label\\(s\\) \\(1 complaint, 0 not\\), skipped 0; .*mine.tsv holds 3 label\\(s\\)")
    again.expect(pexpect.EOF)
    again.close()
    assert again.exitstatus == 0
    assert [row[0] for row in rows(out)] == ["1", "0", "1"]
    assert len({row[4] for row in rows(out)}) == 3


def test_answers_from_a_pipe_and_random_picks(demo_run, tmp_path):
    out = tmp_path / "piped.tsv"
    result = invoke("--db", demo_run[0], "label", "--out", out, "--limit", "2", "--random", "2", input="y\nno\n\ns\n")
    assert result.exit_code == 0, result.output
    assert "4 post(s) to label" in result.output
    assert result.output.count("picked at random") == 2 and result.output.count("the model is unsure") == 2
    assert [row[0] for row in rows(out)] == ["1", "0"]  # the end of input quits, saving
    assert "saved 2 label(s) (1 complaint, 1 not), skipped 1" in result.output


def test_default_label_file_is_beside_the_database(demo_run, tmp_path, monkeypatch):
    db = tmp_path / "copy.db"
    db.write_bytes(demo_run[0].read_bytes())
    monkeypatch.chdir(tmp_path.parent)
    result = invoke("--db", db, "label", "--limit", "1", "--random", "0", input="n\n")
    assert result.exit_code == 0, result.output
    assert [row[0] for row in rows(tmp_path / "my-labels.tsv")] == ["0"]


def test_bad_rows_of_a_label_file_are_named_and_the_rest_is_used(demo_run, tmp_path):
    out = tmp_path / "mine.tsv"
    out.write_text(f"{HEADER}\n"
                   "1\tgithub\t\ten\tmine:1\tgithub is down for me, 502 on every push\n"
                   "yes\tgithub\t\ten\tmine:2\tgithub down again\n"
                   "0\tgithub\t\ten\tmine:3\tlove the new github ui\n"
                   "1\tgithub\ttoo few fields\n"
                   "1\tdiscord\t\ten\tmine:5\tdiscord wont load, 503\n", encoding="utf-8")
    bad_lines = ["skipped mine.tsv:3: label must be 0 or 1, got 'yes'",
                 "skipped mine.tsv:5: expected 6 tab-separated fields, got 3"]

    evaluated = invoke("evaluate", "--on", out)
    assert evaluated.exit_code == 0, evaluated.output
    assert evaluated.stderr.splitlines() == bad_lines
    assert evaluated.output.splitlines()[:2] == bad_lines  # before the result
    assert "3 posts of " in evaluated.stdout
    tp, fn, fp, tn = map(int, re.search(r"confusion: (\d+) true complaints caught, (\d+) missed, (\d+) false, "
                                        r"(\d+) true negatives", evaluated.stdout).groups())
    assert (tp + fn, fp + tn) == (2, 1)  # the good rows: two complaints, one not

    small = tmp_path / "small.csv"  # a slice of the dataset, so the training takes a second
    data = pd.read_csv(DEFAULT_DATASET, keep_default_na=False)
    data[data.index % 8 == 0].to_csv(small, index=False)
    model = tmp_path / "model.skops"
    trained = invoke("train", "--dataset", small, "--include", out, "--model", model)
    assert trained.exit_code == 0, trained.output
    assert trained.stderr.splitlines() == bad_lines
    metadata = ComplaintClassifier.load(model).metadata
    real = load_real_split()
    real = real if TRAIN_ON_BORDERLINE else non_borderline(real)
    real_seen = (real.split != "test").sum()  # the real posts' train and validation splits
    written_seen = len(load_dataset(small).query("split != 'test'")) if WRITTEN_WEIGHT else 0
    assert metadata["train_rows"] == real_seen + written_seen + 3  # the three good rows joined the training rows
    assert list(metadata["included"]) == ["mine.tsv"]

    # label resumes past the good rows it finds and warns about the bad ones
    labeled = invoke("--db", demo_run[0], "label", "--out", out, "--limit", "1", "--random", "0", input="q\n")
    assert labeled.exit_code == 0, labeled.output
    assert "warning: mine.tsv:3: label must be 0 or 1, got 'yes' (that row is ignored)" in labeled.output


def test_label_file_errors_are_one_line(demo_run, tmp_path):
    headless = tmp_path / "headless.tsv"
    headless.write_text("1\tgithub\t\ten\tmine:1\tgithub is down\n", encoding="utf-8")
    for args in (["evaluate", "--on", headless], ["--db", demo_run[0], "label", "--out", headless]):
        result = invoke(*args, input="q\n")
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            f"Error: {headless}: line 1: expected the header {HEADER!r} (tab-separated)"]
    only_bad = tmp_path / "bad.tsv"
    only_bad.write_text(f"{HEADER}\nyes\t\t\t\tx\tgithub down\n", encoding="utf-8")
    result = invoke("evaluate", "--on", only_bad)
    assert result.exit_code == 1
    assert result.output.splitlines() == ["skipped bad.tsv:2: label must be 0 or 1, got 'yes'",
                                          f"Error: {only_bad}: no good row to score"]


def test_label_needs_posts_labeled_by_its_model(demo_run, tmp_path):
    other = tmp_path / "other.skops"
    # Each text often enough to pass the character n-grams' min_df: the model only needs a version of its own.
    ComplaintClassifier(threshold=0.5).fit(["github is down", "nice day"] * 10, [1, 0] * 10).save(other)
    result = invoke("--db", demo_run[0], "label", "--model", other, "--out", tmp_path / "x.tsv", input="q\n")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "no stored post is labeled by model" in result.output and "reclassify" in result.output
