"""Which services a post names (issue 14 row 1): real aliases match, a letter or a fragment of a word does not."""
import json

import pytest
from click.testing import CliRunner

from outage_signal.classifier import ServiceMatcher
from outage_signal.cli import cli
from outage_signal.config import load_config


@pytest.fixture(scope="module")
def catalog():
    return ServiceMatcher(**load_config().matcher_names())


@pytest.mark.parametrize("post", [
    "xbox.com is down for me",
    "is xfinity.com down? no internet since 6am",
    "my x-ray results are in, all clear",
    '<p>Outage map <img src=x onerror="1"> updated</p>',
    "Fox.com stream keeps buffering",
    "exchange server is down again",
    "the x axis on this chart is wrong",
    "X Æ A-12 is a name",
])
def test_a_letter_or_a_fragment_is_not_x(catalog, post):
    assert "x" not in catalog.match(post)


@pytest.mark.parametrize("post, services", [
    ("twitter is down", ["x"]),
    ("x.com won't load, anyone else?", ["x"]),
    ("https://x.com/home just spins", ["x"]),
    ("TweetDeck not refreshing", ["x"]),
    ("#GitHub is down again", ["github"]),
    ("githubstatus.com says all green but pushes fail", ["github"]),
    ("GH-Actions queue stuck for an hour", ["github"]),
    ("discordstatus.com finally admits it", ["discord"]),
    # Support accounts: a name with a tail ("@SpotifyCares" is Spotify's, real support-tweet style).
    ("@SpotifyCares app keeps crashing since the update", ["spotify"]),
    ("@DiscordApp is it down?", ["discord"]),
])
def test_real_aliases_still_match(catalog, post, services):
    assert catalog.match(post) == services


@pytest.fixture(scope="module")
def short():
    """A user's catalog that lists short aliases on purpose."""
    return ServiceMatcher({"x": ["twitter", "x"], "github": ["github", "gh"]})


@pytest.mark.parametrize("post, services", [
    ("x is down again", ["x"]),
    ("is X down?", ["x"]),
    ("@x fix your app", ["x"]),
    ("can't load (x) or gh.", ["github", "x"]),
    ("'x' won't load", ["x"]),
    ("www.x.com is blank", ["x"]),
    ("gh.io links dead", ["github"]),
])
def test_a_short_alias_matches_as_a_word_of_its_own(short, post, services):
    assert short.match(post) == services


@pytest.mark.parametrize("post", [
    "my x-ray results are in", "<img src=x>", "xbox.com is down", "is xfinity.com down?", "x.com.au", "x=3 then",
    "a/x/b", "gh-pages build failed", "ghost.io is down", "ugh, mondays",
])
def test_a_short_alias_never_matches_inside_other_words_or_domains(short, post):
    assert short.match(post) == []


def test_classify_command_tags_no_line_of_the_report(tmp_path):
    # The reproduction, through the command (xbox.com is the Xbox network's own domain since the
    # catalog grew; xfinity is in the optional ISP catalog only).
    lines = "xbox.com is down for me\nis xfinity.com down?\nmy x-ray results are in\ntwitter is down\n"
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "classify"], input=lines)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["services"] for line in result.output.splitlines()] == [["xbox-live"], [], [], ["x"]]
