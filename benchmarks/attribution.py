"""Service attribution on real posts: per service precision, recall and support, for the whole catalog.

    python benchmarks/attribution.py [--half tune|held-out|all] [--min-rows 10] [--errors]
    python benchmarks/attribution.py --fresh [--min-rows 10]

Each real post (datasets/real/batches/*.tsv, read with ``load_real``) carries the key of the one service
it is about in its ``service`` column, empty when it names none. The matcher (``ServiceMatcher`` over the
bundled catalog and the optional ISP catalog, as a config with ``optional_catalogs = ["isp"]`` gets)
names zero or more services per post. For a catalog service S:

- support: posts labeled S (dataset keys mapped to catalog keys by ``DATASET_KEYS``);
- precision: of the posts the matcher names S in, the share labeled S. One label per post cannot say whether
  a second service a post names is right ("Facebook and Instagram are down" is labeled facebook), so two
  figures: ``strict`` counts every such co-mention against S (a lower bound); ``precision`` leaves out the
  posts in which the matcher also found the labeled service (co-mentions) and counts the rest: S named in a
  post about another service that the matcher missed, or about none, is wrong;
- recall: of the posts labeled S, the share in which the matcher names S (many GitHub comments never name
  the service their thread is about, so recall is low by nature of the data).

A third figure, ``names right``, reads each post the matcher names S in but that is not labeled S: a reader
judged, once the rules were frozen, whether its text uses the name for S (a mention of S beside the
service the post is about, or a post labeled with none that does name S: right) or for something else
(a pasted Cloudflare error page, "FB" for a Fritz!Box: wrong). The judgements are in
``attribution_judged.tsv`` (service, verdict, text; the last one added after the held-out half's wrong ones
had been read and fixed, see benchmarks/README.md); a disagreement not judged there counts as wrong.

Posts are split in two halves by source (the GitHub thread, the web page, the support-tweet thread, hashed):
the ambiguous-name rule and aliases were tuned looking only at the ``tune`` half's errors; benchmarks/README.md
reports the ``held-out`` half. A service is measured (and held to precision >= 0.95) when its half has at
least ``--min-rows`` posts labeled with it.

``--fresh`` scores the matcher on ``attribution_fresh.tsv`` instead: real posts collected after the rules
above were tuned, none from a source in ``datasets/real``, each with every catalog service its text names
(judged by reading it before the matcher ran; ``services``, ``source``, ``text``). There a post may name
several services, so a named service is right exactly when it is in the post's ``services``: per service
precision and recall, the totals, and per ambiguous name (the posts whose text holds the name as a word)
how often the matcher names its service there and is right.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
from pathlib import Path

import pandas as pd

from outage_signal.classifier import ServiceMatcher
from outage_signal.classifier.dataset import load_real
from outage_signal.config import load_config

# The real posts' service keys that name a catalog service under another key.
DATASET_KEYS = {
    "twitter": "x", "playstation-network": "psn", "playstation": "psn", "openai": "chatgpt", "anthropic-api": "claude",
    "github-actions": "github", "copilot": "github", "microsoft-teams": "teams", "xbox": "xbox-live",
    "tmobile": "t-mobile", "bankofamerica": "bank-of-america", "wellsfargo": "wells-fargo",
    "mercadopago": "mercado-pago", "mercadolibre": "mercado-pago", "crates.io": "crates-io", "azure-devops": "azure",
    "lol": "riot", "activision": "call-of-duty", "free-mobile": "free", "freebox": "free", "protonmail": "proton",
    "icloud": "apple", "mercado-libre": "mercado-pago", "mojang": "minecraft", "battle.net": "battle-net",
    "ovh": "ovhcloud", "iliad": "free", "github-pages": "github", "bofa": "bank-of-america", "ubereats": "uber",
    "gpt-4": "chatgpt", "playstation-plus": "psn", "world-of-warcraft": "battle-net",
}
TARGET_PRECISION = 0.95
JUDGED = Path(__file__).with_name("attribution_judged.tsv")
FRESH = Path(__file__).with_name("attribution_fresh.tsv")


def half_of(source: str) -> str:
    """``tune`` or ``held-out``: a stable hash of the post's source (a thread's comments stay together)."""
    unit = source.split("@", 1)[0]  # a GitHub thread without the date of the comment
    return "tune" if hashlib.md5(unit.encode()).digest()[0] % 2 == 0 else "held-out"


def catalog_matcher() -> tuple[ServiceMatcher, list[str]]:
    """The matcher over the bundled and the ISP catalog, and the catalog's keys."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text('optional_catalogs = ["isp"]\n')
        config = load_config(path)
    return ServiceMatcher(**config.matcher_names()), list(config.services)


def read_judged(path: Path = JUDGED) -> dict[tuple[str, str], str]:
    """``{(service, text): "right" or "wrong"}`` from the judgements file."""
    if not path.exists():
        return {}
    judged = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        service, verdict, text = line.split("\t", 2)
        judged[(service, text)] = verdict
    return judged


def disagreements(rows: pd.DataFrame, matcher: ServiceMatcher, catalog: list[str]) -> list[tuple[str, str, str]]:
    """(service, label, text) of every post the matcher names a catalog service in that it is not labeled with."""
    truth = rows.service.map(lambda key: DATASET_KEYS.get(key, key))
    return [(key, label, text) for label, text in zip(truth, rows.text)
            for key in matcher.match(text) if key != label and key in catalog]


def attribution(rows: pd.DataFrame, matcher: ServiceMatcher, catalog: list[str],
                judged: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """Per catalog service: support, named, true positives, precision (single-label and strict), names right,
    recall."""
    judged = judged or {}
    truth = rows.service.map(lambda key: DATASET_KEYS.get(key, key))
    found = [set(matcher.match(text)) for text in rows.text]
    table = []
    for key in catalog:
        labeled = truth == key
        named = pd.Series([key in f for f in found], index=rows.index)
        also = pd.Series([label != key and label in f for label, f in zip(truth, found)], index=rows.index)
        tp, single = int((labeled & named).sum()), int((named & ~also).sum())
        right = tp + sum(judged.get((key, text)) == "right" for text in rows.text[named & ~labeled])
        table.append({"service": key, "support": int(labeled.sum()), "named": int(named.sum()), "judged": single,
                      "tp": tp, "right": right, "strict": tp / named.sum() if named.sum() else None,
                      "precision": tp / single if single else None,
                      "names_right": right / named.sum() if named.sum() else None,
                      "recall": tp / labeled.sum() if labeled.sum() else None})
    return pd.DataFrame(table).set_index("service")


def errors(rows: pd.DataFrame, matcher: ServiceMatcher, catalog: list[str]) -> list[str]:
    """The posts in which the matcher names a catalog service they are not labeled with, co-mentions aside."""
    truth = rows.service.map(lambda key: DATASET_KEYS.get(key, key))
    lines = []
    for label, text in zip(truth, rows.text):
        found = matcher.match(text)
        wrong = [key for key in found if key != label and key in catalog and label not in found]
        if wrong:
            lines.append(f"{','.join(wrong):20} labeled {label or '-':15} {text[:160]}")
    return lines


def read_fresh(path: Path = FRESH) -> pd.DataFrame:
    """The fresh posts: ``services`` (a set of catalog keys, empty when none), ``source``, ``text``."""
    rows = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)  # 3: no quoting
    return rows.assign(services=rows.services.map(lambda keys: frozenset(filter(None, keys.split(",")))))


def fresh_scores(rows: pd.DataFrame, matcher: ServiceMatcher, catalog: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per catalog service that a post names or the matcher finds (support, named, tp, precision, recall), and
    per ambiguous name (posts holding it, how many name its service, how often the matcher names it and is
    right)."""
    found = [set(matcher.match(text)) for text in rows.text]
    services = []
    for key in catalog:
        support = sum(key in truth for truth in rows.services)
        named = sum(key in f for f in found)
        if support or named:
            tp = sum(key in f and key in truth for f, truth in zip(found, rows.services))
            services.append({"service": key, "support": support, "named": named, "tp": tp,
                             "precision": tp / named if named else None, "recall": tp / support if support else None})
    names = []
    for key, ambiguous in matcher.ambiguous.items():
        for name in ambiguous:
            word = re.compile(rf"(?<![a-z0-9]){re.escape(name.lower())}(?![a-z0-9])")
            holding = [i for i, text in enumerate(rows.text) if word.search(text.lower())]
            if holding:
                truth = sum(key in rows.services.iloc[i] for i in holding)
                named = sum(key in found[i] for i in holding)
                tp = sum(key in found[i] and key in rows.services.iloc[i] for i in holding)
                names.append({"name": name, "service": key, "posts": len(holding), "means_it": truth, "named": named,
                              "tp": tp, "precision": tp / named if named else None,
                              "recall": tp / truth if truth else None})
    return (pd.DataFrame(services, columns=["service", "support", "named", "tp", "precision", "recall"]),
            pd.DataFrame(names, columns=["name", "service", "posts", "means_it", "named", "tp", "precision", "recall"]))


def print_fresh(min_rows: int) -> None:
    rows = read_fresh()
    matcher, catalog = catalog_matcher()
    services, names = fresh_scores(rows, matcher, catalog)
    print(f"fresh check: {len(rows)} posts from {rows.source.nunique()} sources, "
          f"{int((rows.services.map(len) == 0).sum())} naming no service\n")
    print("| service | support | named | right | precision | recall |\n|---|---:|---:|---:|---:|---:|")
    for r in services.sort_values(["support", "named"], ascending=False).itertuples():
        print(f"| {r.service} | {r.support} | {r.named} | {r.tp} | {_figure(r.precision)} | {_figure(r.recall)} |")
    tp, named, support = services.tp.sum(), services.named.sum(), services.support.sum()
    print(f"\nall services together: precision {tp / named:.3f} ({tp}/{named})  recall {tp / support:.3f} "
          f"({tp}/{support})")
    measured = services[services.support >= min_rows]
    below = measured[measured.precision.fillna(1.0) < TARGET_PRECISION]
    print(f"services with >= {min_rows} posts naming them: {len(measured)}; below {TARGET_PRECISION} in precision: "
          f"{', '.join(f'{r.service} {r.precision:.3f}' for r in below.itertuples()) or 'none'}\n")
    print("| ambiguous name | service | posts holding it | meaning the service | named | right | precision | "
          "recall |\n|---|---|---:|---:|---:|---:|---:|---:|")
    for r in names.sort_values("posts", ascending=False).itertuples():
        print(f"| {r.name} | {r.service} | {r.posts} | {r.means_it} | {r.named} | {r.tp} | {_figure(r.precision)} | "
              f"{_figure(r.recall)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=["tune", "held-out", "all"], default="held-out")
    parser.add_argument("--min-rows", type=int, default=10)
    parser.add_argument("--errors", action="store_true", help="print the tune half's wrong attributions")
    parser.add_argument("--to-judge", action="store_true",
                        help="print the disagreements not yet in attribution_judged.tsv (service, -, text)")
    parser.add_argument("--fresh", action="store_true", help="score the matcher on attribution_fresh.tsv")
    args = parser.parse_args()
    if args.fresh:
        print_fresh(args.min_rows)
        return
    rows = load_real().frame
    rows = rows.assign(half=rows.source.map(half_of))
    if args.half != "all":
        rows = rows[rows.half == args.half]
    matcher, catalog = catalog_matcher()
    if args.errors:
        if args.half != "tune":
            sys.exit("--errors shows the tune half only: give --half tune")
        print("\n".join(errors(rows, matcher, catalog)))
        return
    judged = read_judged()
    if args.to_judge:
        for key, label, text in disagreements(rows, matcher, catalog):
            if (key, text) not in judged:
                print(f"{key}\t?\t{text}")
        return
    table = attribution(rows, matcher, catalog, judged)
    measured = table[table.support >= args.min_rows].sort_values("support", ascending=False)
    print(f"{args.half} half: {len(rows):,} posts, {int((rows.service != '').sum()):,} labeled with a service; "
          f"{len(catalog)} catalog services, {len(measured)} with >= {args.min_rows} labeled posts\n")
    print("| service | support | named | co-mentions | precision | strict | names right | recall |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in measured.itertuples():
        print(f"| {r.Index} | {r.support} | {r.named} | {r.named - r.judged} | {_figure(r.precision)} | "
              f"{_figure(r.strict)} | {_figure(r.names_right)} | {r.recall:.3f} |")
    for label, part in (("measured services", measured), (f"all {len(catalog)} services", table)):
        tp = part.tp.sum()
        print(f"{label} together: precision {tp / part.judged.sum():.3f}  strict {tp / part.named.sum():.3f}  "
              f"names right {part.right.sum() / part.named.sum():.3f}  recall {tp / part.support.sum():.3f}  "
              f"({part.support.sum()} labeled posts, {part.named.sum()} named)")
    for column in ("precision", "names_right"):
        below = measured[measured[column] < TARGET_PRECISION]
        print(f"below {TARGET_PRECISION} in {column.replace('_', ' ')}: {', '.join(below.index) or 'none'}")


def _figure(value: float | None) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.3f}"


if __name__ == "__main__":
    main()
