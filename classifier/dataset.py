"""Labeled posts on disk: the real posts bundled in ``datasets/real/`` and users' own label files.

One format for both, a tab-separated file with a header line::

    label	service	borderline	lang	source	text
    1	github		en	gh-issue:owner/repo#123@2025-11-18	is github down? pushes fail with 500

``label`` is 1 for a post saying a service is down or erroring *now* (the rules are in
``datasets/real/LABELING.md``), 0 for anything else; ``borderline`` is ``b`` where the labeler was
unsure; ``source`` says where the post comes from. A bad row is reported with its line number and
skipped; the rest loads.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.tsv"
>>> _ = path.write_text("label\\tservice\\tborderline\\tlang\\tsource\\ttext\\n"
...                     "1\\tgithub\\t\\ten\\tgh-issue:a/b#1\\tgithub down?\\n"
...                     "yes\\t\\t\\ten\\tx\\tsome text\\n")
>>> labeled = read_labeled(path)
>>> labeled.frame[["label", "group", "text"]].values.tolist()
[[1, 'gh-issue:a/b#1', 'github down?']]
>>> labeled.errors
["mine.tsv:3: label must be 0 or 1, got 'yes'"]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

COLUMNS = ("label", "service", "borderline", "lang", "source", "text")
DEFAULT_REAL = Path(str(resources.files("outage_signal.datasets") / "real" / "batches"))


class DatasetError(ValueError):
    """A labeled file that cannot be used at all (missing, unreadable, wrong header)."""


@dataclass
class Labeled:
    """Rows that loaded (a DataFrame with ``COLUMNS`` plus ``group`` and ``part``) and one message per bad row."""

    frame: pd.DataFrame
    errors: list[str] = field(default_factory=list)


def group_of(source: str, service: str) -> str:
    """The unit a split must keep together: one GitHub thread, one web page, or one support account.

    Posts of one thread quote and answer each other, so a thread split across train and test would
    leak; the Twitter support tweets are grouped by the account they were written to.

    >>> group_of("gh-issue:npm/npm#20904@2018-06-05", "npm")
    'gh-issue:npm/npm#20904'
    >>> group_of("twcs(Kaggle thoughtvector):TW_THREAD_000138", "comcast")
    'twcs:comcast'
    """
    if source.startswith("twcs"):
        return f"twcs:{service or source.rsplit(':', 1)[-1]}"
    if source.startswith(("gh-issue:", "gh-pr:")):
        return source.split("@", 1)[0]
    return re.sub(r"[?#].*$", "", source)


def read_labeled(path: str | Path) -> Labeled:
    """Read one labeled TSV file; bad rows become messages naming their line, the rest loads."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise DatasetError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise DatasetError(f"{path}: cannot read: {e.strerror}") from None
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise DatasetError(f"{path}: line 1: expected the header {chr(9).join(COLUMNS)!r} (tab-separated)")
    rows, errors = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        problem = _problem(fields)
        if problem:
            errors.append(f"{path.name}:{number}: {problem}")
            continue
        label, service, borderline, lang, source, text = fields
        rows.append((int(label), service, borderline, lang, source, text, group_of(source, service), path.stem))
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "group", "part"])
    return Labeled(frame, errors)


def _problem(fields: list[str]) -> str | None:
    if len(fields) != len(COLUMNS):
        return f"expected {len(COLUMNS)} tab-separated fields, got {len(fields)}"
    label, _, borderline, _, source, text = fields
    if label not in ("0", "1"):
        return f"label must be 0 or 1, got {label!r}"
    if borderline not in ("", "b"):
        return f"borderline must be empty or 'b', got {borderline!r}"
    if not source.strip():
        return "empty source"
    if not text.strip():
        return "empty text"
    return None


def load_real(folder: str | Path = DEFAULT_REAL) -> Labeled:
    """Every bundled real batch, one frame; a text seen in an earlier batch is dropped (first wins)."""
    parts = [read_labeled(path) for path in sorted(Path(folder).glob("*.tsv"))]
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    key = frame.text.str.lower().str.replace(r"\W+", " ", regex=True).str.strip()
    return Labeled(frame[~key.duplicated()].reset_index(drop=True), [e for p in parts for e in p.errors])
