from pathlib import Path

import pytest

from outage_signal.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "services.toml"
    path.write_text(text)
    return path


def test_default_catalog_has_popular_services():
    config = load_config()
    assert len(config.services) >= 12
    for key in ("chatgpt", "claude", "gemini", "github", "discord", "slack", "reddit", "bluesky", "x",
                "cloudflare", "aws", "steam", "psn"):
        assert key in config.services, key
    assert "ChatGPT" in config.aliases()["chatgpt"]


def test_env_var_chooses_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, 'catalog = "none"\n[services.acme]\naliases = ["acme"]\n')
    monkeypatch.setenv("OUTAGE_SIGNAL_CONFIG", str(path))
    assert list(load_config().services) == ["acme"]


@pytest.mark.parametrize("text, expected", [
    ("services = 3", "key 'services': expected a table"),
    ("[services.acme]\naliases = 'acme'", "key 'services.acme.aliases': expected a list of strings, got 'acme'"),
    ("[services.acme]\naliases = ['acme', ' ']", "key 'services.acme.aliases[1]': expected a non-empty string"),
    ("[services.acme]\nname = ''", "key 'services.acme.name': expected a non-empty string"),
    ("[services.acme]\ncolour = 'red'",
     "key 'services.acme.colour': unknown key; expected one of name, aliases, ambiguous, excluded, mirrors, subreddits, bluesky, "
     "status_page, official_bluesky, sources"),
    ("[services.acme]\nstatus_page = { kind = 'pager', url = 'https://x' }",
     "key 'services.acme.status_page.kind': expected 'statuspage', 'incidentio', 'instatus', 'betterstack', 'rootly', 'statusio', 'gcp', 'aws', 'azure', 'slack', 'feed' or 'auto', got 'pager'"),
    ("[services.acme]\nstatus_page = { kind = 'feed', url = 'ftp://x' }",
     "key 'services.acme.status_page.url': expected an http:// or https:// URL"),
    ("[services.acme\n", "not valid TOML"),
])
def test_bad_config_names_file_key_and_expectation(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(str(path))
    assert expected in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_detector_sensitivity(tmp_path):
    base = '[services.acme]\naliases = ["acme"]\n'
    assert load_config(write(tmp_path, base)).sensitivity == 1.0
    assert load_config(write(tmp_path, base + "[detector]\nsensitivity = 2\n")).sensitivity == 2.0
    for bad, expected in [("'high'", "expected a number, got 'high'"), ("0", "expected a number > 0, got 0"),
                          ("true", "expected a number, got True"), ("inf", "expected a number, got inf")]:
        with pytest.raises(ConfigError, match=f"key 'detector.sensitivity': {expected}"):
            load_config(write(tmp_path, base + f"[detector]\nsensitivity = {bad}\n"))
