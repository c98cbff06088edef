"""The service config: validated, unknown keys refused with the allowed ones, no tokens in it."""

from __future__ import annotations

import pytest

from sheetsync.errors import ConfigError
from sheetsync.service.config import load_config

GOOD = """
interval = 30
[accounts.acme]
token_env = "ACME_BLB_TOKEN"
monthly_budget = 200
[[sheets]]
sheet = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd/edit"
account = "acme"
worksheet = "Articles"
client = "Acme Ltd"
approve_above = 10
[[sheets]]
sheet = "queues/shop.xlsx"
account = "acme"
"""


def write(tmp_path, text):
    path = tmp_path / "agency.toml"
    path.write_text(text)
    return path


def test_a_good_config_is_read_with_defaults(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.interval == 30 and config.refresh_interval == 600 and config.full_pass_interval == 3600
    acme = config.accounts["acme"]
    assert acme.monthly_budget == 200 and acme.api_url == "https://backlinkbase.com/api/v1/"
    google, xlsx = config.sheets
    assert google.is_google and google.approve_above == 10 and google.client == "Acme Ltd"
    assert xlsx.sheet == str(tmp_path / "queues" / "shop.xlsx")  # relative to the config
    assert config.state == tmp_path / "agency.state.sqlite3"
    assert acme.token({"ACME_BLB_TOKEN": "t0k3n-value"}) == "t0k3n-value"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("intervall = 5\n" + GOOD, "unknown key intervall; allowed: interval, refresh_interval"),
        (GOOD.replace('monthly_budget = 200', 'token = "abc"'),
         "[accounts.acme]: unknown key token; allowed: token_env, api_url, monthly_budget, rate_limit. A token never goes in the file"),
        (GOOD.replace('approve_above = 10', 'aprove_above = 10'),
         "[[sheets]] #1: unknown key aprove_above; allowed: sheet, account, worksheet, credentials, client, approve_above, sandbox"),
        (GOOD.replace('account = "acme"\nworksheet', 'account = "acne"\nworksheet'), "names account 'acne'"),
        (GOOD.replace("monthly_budget = 200", "monthly_budget = -5"), "monthly_budget must be a whole number of at least 0"),
        (GOOD.replace("interval = 30", "interval = 'soon'"), "interval must be a number"),
        ("[accounts.acme]\ntoken_env='X'\n", "no [[sheets]] entry"),
        ("interval = [", "is not valid TOML"),
    ],
)
def test_bad_configs_say_what_and_where(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert expected in str(err.value)


def test_the_token_comes_from_the_named_variable_only(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="ACME_BLB_TOKEN is not set; export ACME_BLB_TOKEN="):
        config.accounts["acme"].token({"BACKLINKBASE_API_TOKEN": "other"})


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="No config file at"):
        load_config(tmp_path / "nope.toml")
