"""A labeling session: a person answers, post by post, whether stored posts are outage complaints.

The posts asked are those the model is least sure of (probability nearest its threshold), with a few
drawn at random among the others. Each answer is appended at once to a label file in the format of
``classifier.dataset`` (so quitting, Ctrl-C or a crash loses nothing), where ``train --include`` and
``evaluate --on`` read it. A post already in the file is not asked again: a session resumes where the
last one stopped.
"""
from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

from outage_signal.classifier.dataset import COLUMNS, read_labeled
from outage_signal.store import Store, StoreError

SOURCE_PREFIX = "store:"  # a label file's ``source`` for a stored post: store:<post source>:<source id>
SHOWN_CHARACTERS = 400  # longer texts are cut: the start of a post says whether it reports an outage
KEYS = "y: complaint  n: not a complaint  s: skip  u: undo  q: quit"


def default_label_file(db_path: Path) -> Path:
    """Where ``label`` saves by default: ``my-labels.tsv`` in the database's folder."""
    return db_path.parent / "my-labels.tsv"


@dataclass
class Session:
    """What a session did: the answers kept (undone ones are not), and the rows the file holds now."""

    complaints: int = 0
    not_complaints: int = 0
    skipped: int = 0
    rows_in_file: int = 0

    def line(self, path: Path) -> str:
        saved = self.complaints + self.not_complaints
        return (f"saved {saved} label(s) ({self.complaints} complaint, {self.not_complaints} not), skipped "
                f"{self.skipped}; {path} holds {self.rows_in_file} label(s). Retrain with: "
                f"outage-signal train --include {path}")


class LabelFile:
    """A user's label file, one row appended per answer and the last ones removable (undo)."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> tuple[set[str], set[str], list[str]]:
        """Keys (``source:source_id``) and texts of the stored posts it labels, and its bad-row messages."""
        if not self.path.exists() or not self.path.read_bytes().strip():
            return set(), set(), []
        labeled = read_labeled(self.path)  # a wrong header: DatasetError, one line
        sources = labeled.frame.source
        keys = {s.removeprefix(SOURCE_PREFIX) for s in sources if s.startswith(SOURCE_PREFIX)}
        return keys, {text_key(t) for t in labeled.frame.text}, labeled.errors

    def append(self, row: str) -> None:
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        with self.path.open("a", encoding="utf-8") as file:
            if not text.strip():
                file.write("\t".join(COLUMNS) + "\n")
            elif not text.endswith("\n"):  # edited by hand without a last newline
                file.write("\n")
            file.write(row + "\n")

    def remove(self, row: str) -> None:
        """Drop the last line equal to ``row``; the file is replaced whole, so a crash leaves one or the other."""
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        for index in range(len(lines) - 1, -1, -1):
            if lines[index].rstrip("\n") == row:
                del lines[index]
                break
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text("".join(lines), encoding="utf-8")
        os.replace(partial, self.path)

    def row_count(self) -> int:
        return len(read_labeled(self.path).frame) if self.path.exists() else 0


def text_key(text: str) -> str:
    return " ".join(text.split()).lower()


def dataset_row(post: dict[str, Any], label: int) -> str:
    """The post as a label-file row; its text on one line (a TSV row holds no tab or newline)."""
    service = post["services"][0] if post["services"] else ""
    source = f"{SOURCE_PREFIX}{post['source']}:{post['source_id']}"
    return "\t".join([str(label), service, "", post["language"] or "", " ".join(source.split()),
                      " ".join(post["text"].split())])


def pick_posts(store: Store, model_version: str, threshold: float, limit: int, random: int,
               labeled_keys: set[str], labeled_texts: set[str]) -> list[dict[str, Any]]:
    """The posts to ask, least sure first, the random ones spread among them (a session stopped
    early still has some); none already labeled, by key or by text."""
    if model_version not in store.model_versions():
        known = ", ".join(store.model_versions()) or "none"
        raise StoreError(f"{store.path}: no stored post is labeled by model {model_version} (stored labels are "
                         f"by: {known}); run `outage-signal reclassify` first, or give `label --model` that model")
    posts = [post for post in store.uncertain_posts(model_version, threshold, limit, random, labeled_keys)
             if text_key(post["text"]) not in labeled_texts and post["text"].strip()]
    uncertain = [p for p in posts if p["picked"] == "uncertain"]
    drawn = [p for p in posts if p["picked"] == "random"]
    step = max(1, len(uncertain) // (len(drawn) + 1))
    for number, post in enumerate(drawn, start=1):
        uncertain.insert(min(len(uncertain), number * step + number - 1), post)
    return uncertain


def show(post: dict[str, Any], number: int, total: int, threshold: float) -> str:
    """How a post is shown: where it stands, why it was picked, the model's view, then its text."""
    why = "the model is unsure" if post["picked"] == "uncertain" else "picked at random"
    services = ", ".join(post["services"]) or "no service named"
    text = " ".join(post["text"].split())
    if len(text) > SHOWN_CHARACTERS:
        text = text[:SHOWN_CHARACTERS - 1] + "…"
    width = min(100, shutil.get_terminal_size().columns) - 4
    return (f"\n[{number}/{total}] {services} · probability {post['probability']:.3f} (threshold {threshold:.3f}) · "
            f"{why}\n" + textwrap.fill(text, width, initial_indent="    ", subsequent_indent="    "))


def read_key(stdin: TextIO | None = None) -> str:
    """One answer: a key press on a terminal, else the first letter of a line ("q" at the end of input)."""
    stdin = stdin or sys.stdin  # looked up when called: tests swap sys.stdin
    try:
        if stdin.isatty():
            return click.getchar().lower()
        line = stdin.readline()
    except (KeyboardInterrupt, EOFError):  # Ctrl-C, Ctrl-D: every answer is saved already
        return "q"
    return line.strip()[:1].lower() if line else "q"


def label(store: Store, model_version: str, threshold: float, out: Path, limit: int = 20, random: int = 3,
          ask: Callable[[], str] = read_key, echo: Callable[[str], None] = click.echo) -> Session:
    """Ask about up to ``limit`` + ``random`` posts not yet in ``out``; append each answer to it."""
    file = LabelFile(out)
    labeled_keys, labeled_texts, errors = file.read()
    for error in errors:
        echo(f"warning: {error} (that row is ignored)")
    posts = pick_posts(store, model_version, threshold, limit, random, labeled_keys, labeled_texts)
    echo(f"{len(posts)} post(s) to label, saved to {out} as you answer. Does each report an outage happening "
         f"now? {KEYS}")
    session = Session()
    answers: list[tuple[int, str, str | None]] = []  # (post index, key, the row written), for undo
    index = 0
    while index < len(posts):
        echo(show(posts[index], index + 1, len(posts), threshold))
        while (key := ask()) not in ("y", "n", "s", "u", "q"):
            if key and key.strip():
                echo(f"  {key!r}? {KEYS}")
        if key == "q":
            echo("  quit")
            break
        if key == "u":
            if not answers:
                echo("  nothing to undo in this session")
                continue
            index, undone, row = answers.pop()
            if row is not None:
                file.remove(row)
            echo(f"  undone: {'skip' if undone == 's' else 'label removed from the file'}; asking again")
            continue
        row = dataset_row(posts[index], 1 if key == "y" else 0) if key in "yn" else None
        if row is not None:
            file.append(row)
        echo({"y": "  complaint", "n": "  not a complaint", "s": "  skipped"}[key])
        answers.append((index, key, row))
        index += 1
    else:
        echo("\nno more posts to label" if posts else "no posts left to label")
    session.complaints = sum(key == "y" for _, key, _ in answers)
    session.not_complaints = sum(key == "n" for _, key, _ in answers)
    session.skipped = sum(key == "s" for _, key, _ in answers)
    session.rows_in_file = file.row_count()
    return session
