"""The config schema (issue 14 rows 2, 3, 11, 12): unknown keys, unsafe service keys, names shared by two
services, duplicate webhooks, bad webhook secrets, and configs that extend the bundled catalog."""
import base64
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from outage_signal import notify
from outage_signal.cli import cli
from outage_signal.config import DEFAULT_CONFIG, ConfigError, load_config

SECRET = "whsec_" + base64.b64encode(b"schema-test-secret-0123456789").decode()
BUNDLED = list(load_config(DEFAULT_CONFIG).services)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(f"{path}: key '") and "\n" not in message
    return message.removeprefix(f"{path}: ")


# --- row 11: unknown keys anywhere, unsafe service keys, one name on two services ---------------------

@pytest.mark.parametrize("text, expected", [
    ("[detector]\ncolour = 1", "key 'detector.colour': unknown key; expected one of sensitivity"),
    ("[reddit]\ncomment = true", "key 'reddit.comment': unknown key; expected one of comments"),
    ("colour = 1", "key 'colour': unknown key; expected one of catalog, optional_catalogs, detector, reddit, stream, services, "
     "webhooks"),
    ("[stream]\nendpoint = 'wss://a.example/subscribe'",
     "key 'stream.endpoint': unknown key; expected one of endpoints, stall_seconds"),
    ("[stream]\nendpoints = ['https://a.example/subscribe']",
     "key 'stream.endpoints[0]': expected a ws:// or wss:// URL, got 'https://a.example/subscribe'"),
    ("[stream]\nendpoints = []", "key 'stream.endpoints': expected a non-empty list, got []"),
    ("[stream]\nstall_seconds = 0", "key 'stream.stall_seconds': expected a number > 0, got 0"),
    ("[services.acme]\naliases = ['acme']\nstatus_page = { kind = 'feed', url = 'https://a.example', every = 5 }",
     "key 'services.acme.status_page.every': unknown key; expected one of kind, url"),
    (f'[[webhooks]]\nname = "ops"\nurl = "https://hooks.example.com"\nsecret = "{SECRET}"\n',
     "key 'webhooks[0].secret': unknown key; never put the secret in the file: set an environment variable "
     "and name it in secret_env"),
    ('[[webhooks]]\nurl = "https://hooks.example.com"\nformat = "slack"\nevents = ["opened", "closed"]\n',
     "key 'webhooks[0].events[1]': expected 'opened', 'escalated', 'acknowledged' or 'resolved', got 'closed'"),
    ('[[webhooks]]\nurl = "https://hooks.example.com"\nformat = "slack"\nservices = []\n',
     "key 'webhooks[0].services': expected a non-empty list, got []"),
    ('[[webhooks]]\nformat = "slack"\n', "key 'webhooks[0].url': required"),
    ("webhooks = 3", "key 'webhooks': expected an array of tables [[webhooks]], got 3"),
])
def test_unknown_or_mistyped_keys_are_named(tmp_path, text, expected):
    assert error_of(tmp_path, text) == expected


@pytest.mark.parametrize("key", ["../escaped", "a/b", "GitHub", "", "-dash", "x" * 41, "with space", "ü"])
def test_service_keys_must_be_safe_file_names(tmp_path, key):
    # The report writes one file per service key: "../escaped" would write outside its folder.
    message = error_of(tmp_path, f'[services."{key}"]\naliases = ["acme"]\n')
    assert message.startswith(f"key 'services.") and "a service key is 1 to 40 lowercase letters" in message


def test_unsafe_key_is_quoted_in_the_message(tmp_path):
    assert error_of(tmp_path, '[services."../escaped"]\naliases = ["acme"]\n').startswith(
        "key 'services.\"../escaped\"': a service key is")


@pytest.mark.parametrize("text, expected", [
    # two services of the user's own
    ('catalog = "none"\n[services.acme]\naliases = ["acme"]\n[services.other]\naliases = ["Acme"]\n',
     "key 'services.other.aliases': 'Acme' already names service 'acme'"),
    # a user's service against the bundled catalog: the user's key is named
    ('[services.hub]\naliases = ["git   hub"]\n', "key 'services.hub.aliases': 'git   hub' already names service 'github'"),
    # a display name counts as a name
    ('[services.hub]\nname = "GitHub"\n', "key 'services.hub.name': 'GitHub' already names service 'github'"),
])
def test_one_name_on_two_services_is_refused(tmp_path, text, expected):
    assert error_of(tmp_path, text).startswith(expected)


def test_replacing_a_bundled_service_frees_its_names(tmp_path):
    config = load_config(write(tmp_path, '[services.github]\naliases = ["github"]\n[services.copilot]\n'
                                         'aliases = ["copilot", "github copilot"]\n'))
    assert config.aliases()["github"] == ["github"]
    assert config.aliases()["copilot"] == ["copilot", "github copilot"]


def test_bundled_catalog_names_each_service_once():
    load_config(DEFAULT_CONFIG)  # the alias check runs on the bundled catalog too
    names = [n for names in load_config().aliases().values() for n in {" ".join(n.lower().split()) for n in names}]
    assert len(names) == len(set(names))


# --- row 3: two webhooks of one name ------------------------------------------------------------------

def test_two_webhooks_with_the_same_name_are_refused(tmp_path):
    text = '[[webhooks]]\nname = "ops"\nurl = "https://a.example"\nformat = "slack"\n' * 2
    assert error_of(tmp_path, text) == ("key 'webhooks[1].name': 'ops' is already the name of webhooks[0]; "
                                        "each webhook needs its own name")


def test_a_default_webhook_name_counts_too(tmp_path):
    text = ('[[webhooks]]\nurl = "https://a.example"\nformat = "slack"\n'
            '[[webhooks]]\nname = "webhook-0"\nurl = "https://b.example"\nformat = "slack"\n')
    assert error_of(tmp_path, text).startswith("key 'webhooks[1].name': 'webhook-0' is already the name")


# --- row 2: the webhook secret is checked when the config is loaded -------------------------------------

def hooked(tmp_path: Path) -> Path:
    return write(tmp_path, '[[webhooks]]\nname = "ops"\nurl = "https://hooks.example.com"\n'
                           'secret_env = "OPS_WEBHOOK_SECRET"\n')


@pytest.mark.parametrize("secret", ["notbase64", "whsec_notbase64", "whsec_", "whsec_not base64!",
                                    SECRET.removeprefix("whsec_")])
def test_a_secret_that_is_not_a_standard_webhooks_secret_is_one_line(tmp_path, monkeypatch, secret):
    monkeypatch.setenv("OPS_WEBHOOK_SECRET", secret)
    path = hooked(tmp_path)
    with pytest.raises(ConfigError) as error:
        notify.load_endpoints(load_config(path))
    assert str(error.value) == (f"{path}: key 'webhooks[0].secret_env': environment variable OPS_WEBHOOK_SECRET "
                                "does not hold a Standard Webhooks secret (whsec_ followed by base64; see the "
                                "README, Webhooks)")
    assert secret.removeprefix("whsec_") not in str(error.value) or not secret.removeprefix("whsec_")


@pytest.mark.parametrize("secret", [SECRET, SECRET.rstrip("=")])  # padded or not, as the library accepts
def test_a_standard_webhooks_secret_is_accepted(tmp_path, monkeypatch, secret):
    monkeypatch.setenv("OPS_WEBHOOK_SECRET", secret)
    [endpoint] = notify.load_endpoints(load_config(hooked(tmp_path)))
    assert endpoint.secret == secret and endpoint.name == "ops"
    assert notify.sign(endpoint.secret, "id", "{}")["webhook-signature"].startswith("v1,")


def test_run_with_a_bad_secret_stops_before_it_starts(tmp_path):
    db = tmp_path / "x.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "--config", str(hooked(tmp_path)), "run", "--no-status-pages"],
                                env={"OPS_WEBHOOK_SECRET": "notbase64"})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [f"Error: {tmp_path / 'config.toml'}: key 'webhooks[0].secret_env': "
                                                  "environment variable OPS_WEBHOOK_SECRET does not hold a Standard "
                                                  "Webhooks secret (whsec_ followed by base64; see the README, Webhooks)"]
    assert not db.exists() or not sqlite3.connect(db).execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs'").fetchone()[0]


# --- row 12: a config of one's own extends the bundled catalog -----------------------------------------

def test_a_config_of_webhooks_only_watches_the_bundled_services(tmp_path):
    config = load_config(write(tmp_path, '[[webhooks]]\nname = "ops"\nurl = "https://a.example"\nformat = "slack"\n'
                                         'services = ["github"]\n'))
    assert list(config.services) == BUNDLED
    assert [e.name for e in notify.load_endpoints(config)] == ["ops"]


def test_own_services_add_to_or_replace_bundled_ones(tmp_path):
    config = load_config(write(tmp_path, '[services.sourcehut]\nname = "SourceHut"\naliases = ["sourcehut"]\n'
                                         '[services.github]\naliases = ["github"]\n'))
    assert list(config.services) == [*BUNDLED, "sourcehut"]  # a replaced service keeps its place
    github = config.services["github"]
    assert github.name == "github" and github.aliases == ("github",) and github.status_page is None  # wholesale


def test_catalog_none_watches_only_own_services(tmp_path):
    config = load_config(write(tmp_path, 'catalog = "none"\n[services.gitlab]\naliases = ["gitlab"]\n'))
    assert list(config.services) == ["gitlab"] and config.aliases() == {"gitlab": ["gitlab"]}
    assert error_of(tmp_path, 'catalog = "none"\n') == ("key 'services': no services to watch; add [services.KEY] "
                                                       'tables or remove catalog = "none"')
    assert error_of(tmp_path, 'catalog = "mine"\n') == "key 'catalog': expected 'bundled' or 'none', got 'mine'"


def test_webhook_services_may_name_bundled_services(tmp_path):
    text = '[[webhooks]]\nurl = "https://a.example"\nformat = "slack"\nservices = ["github", "sourcehut"]\n'
    assert error_of(tmp_path, text) == "key 'webhooks[0].services': unknown service(s) sourcehut"
    load_config(write(tmp_path, text + '[services.sourcehut]\naliases = ["sourcehut"]\n'))


# --- issue 17: status page kinds and official accounts ------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("[services.acme]\naliases = ['acme']\nstatus_page = { kind = 'statuspal', url = 'https://status.acme.example' }",
     "key 'services.acme.status_page.kind': expected 'statuspage', 'incidentio', 'instatus', 'betterstack', "
     "'rootly', 'statusio', 'gcp', 'aws', 'azure', 'slack', 'feed' or 'auto', got 'statuspal'"),
    ("[services.acme]\naliases = ['acme']\nofficial_bluesky = ['acme status']",
     "key 'services.acme.official_bluesky[0]': 'acme status' is not a Bluesky handle (a domain name such as "
     "status.example.com)"),
])
def test_status_page_kinds_and_official_handles_are_checked(tmp_path, text, expected):
    assert error_of(tmp_path, text) == expected


def test_official_handles_are_kept_lowercase_without_the_at(tmp_path):
    config = load_config(write(tmp_path, "[services.acme]\naliases = ['acme']\nofficial_bluesky = ['@Status.Acme.example']\n"
                                         "status_page = { kind = 'auto', url = 'https://status.acme.example/' }"))
    assert config.services["acme"].official_bluesky == ("status.acme.example",)
    assert config.services["acme"].status_page.kind == "auto"
