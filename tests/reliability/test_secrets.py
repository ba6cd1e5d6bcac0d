"""Plant secrets in the environment, use every credential with the log at debug, then grep
everything left behind: the log, the output, the database (and its WAL).

``run`` reads Reddit (client secret) and Bluesky (app password) through replayed cassettes, and
``test-webhook`` delivers a signed webhook (secret) to a real receiver, so each secret is really used.
"""
import base64
import json
import re
from pathlib import Path

import pytest
import vcr
import yaml
from click.testing import CliRunner

from outage_signal.cli import cli

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
REDDIT_SECRET = "planted-reddit-secret-4f7c1e"
BLUESKY_PASSWORD = "plnt-bsky-pass-9c2d"
WEBHOOK_KEY = b"planted-webhook-key-6b0e5a1d"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()
PLANTED = [REDDIT_SECRET, BLUESKY_PASSWORD, WEBHOOK_SECRET, base64.b64encode(WEBHOOK_KEY).decode(), WEBHOOK_KEY.decode()]


def cassette(tmp_path: Path) -> Path:
    """Reddit (token, new, search) and Bluesky (login, search) in one cassette."""
    interactions = []
    for name in ("reddit_new", "reddit_search", "bluesky_login"):
        interactions += yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())["interactions"]
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))
    return path


@pytest.mark.slow  # a whole run at debug level through recorded APIs and a webhook
def test_planted_secrets_reach_no_log_output_or_database(tmp_path, receiver):
    url = receiver.url
    config = tmp_path / "services.toml"
    config.write_text(f'''
catalog = "none"  # only the service the cassette recorded

[services.github]
name = "GitHub"
aliases = ["github"]
subreddits = ["askreddit"]
bluesky = ["github down"]

[[webhooks]]
name = "ops"
url = "{url}"
secret_env = "OPS_WEBHOOK_SECRET"
''')
    env = {"OUTAGE_SIGNAL_REDDIT_CLIENT_ID": "planted-client-id", "OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET": REDDIT_SECRET,
           "OUTAGE_SIGNAL_BLUESKY_HANDLE": "test.marshal.dev", "OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD": BLUESKY_PASSWORD,
           "OPS_WEBHOOK_SECRET": WEBHOOK_SECRET}
    db, log = tmp_path / "job.db", tmp_path / "job.log"
    options = ["--db", str(db), "--config", str(config), "--log-level", "debug", "--log-file", str(log)]
    with vcr.use_cassette(str(cassette(tmp_path)), record_mode="none", allow_playback_repeats=True,
                          match_on=["method", "host", "path"]):
        result = CliRunner().invoke(cli, [*options, "run", "--no-status-pages"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    hook = CliRunner().invoke(cli, [*options, "test-webhook", url, "--secret-env", "OPS_WEBHOOK_SECRET"], env=env,
                              catch_exceptions=False)
    assert hook.exit_code == 0, hook.output

    logged = log.read_text()
    # Every credential was used: posts from Reddit and Bluesky, signed deliveries.
    assert re.search(r"reddit:new:r/askreddit: [1-9]\d* posts", logged) and "bluesky:q:github down: 2 posts" in logged
    signed = [headers["webhook-signature"] for headers, _ in receiver.requests]
    assert signed and all(s.startswith("v1,") for s in signed)
    leftovers = {"log": logged, "output": result.output + hook.output}
    for path in tmp_path.glob("job.db*"):
        leftovers[path.name] = path.read_bytes().decode("latin-1")
    for planted in PLANTED:
        for where, content in leftovers.items():
            assert planted not in content, f"{planted!r} found in the {where}"
    # Authors are stored as salted hashes: the sample's author names are nowhere in the database.
    authors = {a["data"]["author"] for a in json.loads(yaml.safe_load((CASSETTES / "reddit_new.yaml").read_text())
                                                        ["interactions"][1]["response"]["body"]["string"])["data"]["children"]}
    database = "".join(v for k, v in leftovers.items() if k.startswith("job.db"))
    assert len(authors) > 50 and not [a for a in authors if f'"{a}"' in database or f"/{a}/" in database]


def test_cassettes_hold_no_credentials():
    """Recorded requests carry no auth header or body, and recorded tokens are scrubbed placeholders."""
    for path in sorted(CASSETTES.glob("*.yaml")):
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            request, body = interaction["request"], interaction["response"]["body"]["string"]
            assert not {k.lower() for k in request["headers"]} & {"authorization", "cookie"}, path.name
            assert request["body"] in (None, "(scrubbed)"), path.name
            if request["uri"].endswith("/api/v1/access_token") and interaction["response"]["status"]["code"] == 200:
                assert json.loads(body)["access_token"] == "<SCRUBBED>", path.name
            if "createSession" in request["uri"] and interaction["response"]["status"]["code"] == 200:
                assert json.loads(body)["accessJwt"].endswith(".c2lnbmF0dXJl"), path.name  # unsigned placeholder
