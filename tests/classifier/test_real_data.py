"""The bundled real posts: well-formed, and none from a source kept for independent evaluation."""
from pathlib import Path

from outage_signal.classifier.dataset import DEFAULT_REAL, group_of, load_real, read_labeled

RESERVED = DEFAULT_REAL.parent / "reserved-sources.txt"


def test_every_bundled_row_loads():
    for path in sorted(DEFAULT_REAL.glob("*.tsv")):
        assert read_labeled(path).errors == [], path.name


def test_no_real_row_comes_from_a_reserved_source():
    reserved = [line.strip() for line in RESERVED.read_text().splitlines() if line.strip() and not line.startswith("#")]
    threads = {r for r in reserved if r.startswith(("gh-issue:", "gh-pr:"))}
    repos = {r.split(":", 1)[1].lower() for r in reserved if r.startswith("github-repo:")}
    pages = {_address(r) for r in reserved if "://" in r}
    assert threads and pages  # the list was read
    frame = load_real().frame
    for group in frame.group.unique():
        assert group not in threads, group
        if group.startswith(("gh-issue:", "gh-pr:")):
            assert group.split(":", 1)[1].split("#")[0].lower() not in repos, group
        if group.startswith("page:"):
            assert _address(group) not in pages, group


def _address(url: str) -> str:
    """A page's address without scheme, www., query, fragment, trailing slash or case: one page, one key."""
    return url.split("://", 1)[-1].removeprefix("www.").split("?")[0].split("#")[0].rstrip("/").lower()


def test_a_thread_is_one_group_whatever_the_date_suffix():
    assert group_of("gh-issue:a/b#1@2024-01-01", "x") == group_of("gh-issue:a/b#1", "y") == "gh-issue:a/b#1"


def test_bad_rows_are_named_by_line_and_the_rest_loads(tmp_path: Path):
    path = tmp_path / "mine.tsv"
    path.write_text("label\tservice\tborderline\tlang\tsource\ttext\n"
                    "1\tgithub\t\ten\tgh-issue:a/b#1\tis github down\n"
                    "2\t\t\ten\tx\tsome text\n"
                    "0\t\t\ten\tx\n"
                    "0\t\t\ten\tgh-issue:a/b#2\tgithub tips\n")
    labeled = read_labeled(path)
    assert labeled.frame.text.tolist() == ["is github down", "github tips"]
    assert labeled.errors == ["mine.tsv:3: label must be 0 or 1, got '2'",
                              "mine.tsv:4: expected 6 tab-separated fields, got 5"]
