"""Settings precedence (flag > environment > sheetsync.toml > default) and the token's secrecy."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetsync.config import DEFAULT_API_URL, Settings, load_settings
from sheetsync.errors import ConfigError

CANARY = "canary-token-7f3a9c"


def write_toml(folder: Path, text: str) -> None:
    (folder / "sheetsync.toml").write_text(text, encoding="utf-8")


def test_defaults_when_nothing_is_set(tmp_path):
    settings = load_settings({}, env={}, folder=tmp_path)
    assert settings.api_url == DEFAULT_API_URL
    assert settings.rate_limit == 60
    assert settings.api_token is None
    assert settings.max_credits is None


def test_toml_beats_default_env_beats_toml_flag_beats_env(tmp_path):
    write_toml(tmp_path, 'api_url = "http://toml.example/api/v1/"\nrate_limit = 30\nmax_credits = 5\n')
    env = {"BACKLINKBASE_API_URL": "http://env.example/api/v1/", "SHEETSYNC_RATE_LIMIT": "20"}

    from_toml = load_settings({}, env={}, folder=tmp_path)
    assert (from_toml.api_url, from_toml.rate_limit, from_toml.max_credits) == (
        "http://toml.example/api/v1/", 30, 5)

    from_env = load_settings({}, env=env, folder=tmp_path)
    assert (from_env.api_url, from_env.rate_limit, from_env.max_credits) == (
        "http://env.example/api/v1/", 20, 5)

    from_flags = load_settings(
        {"api_url": "http://flag.example/api/v1", "rate_limit": 10, "max_credits": None},
        env=env, folder=tmp_path,
    )
    # A flag left out (None) falls through to the next source; a URL gains its trailing slash.
    assert (from_flags.api_url, from_flags.rate_limit, from_flags.max_credits) == (
        "http://flag.example/api/v1/", 10, 5)


def test_optional_sheetsync_table_in_toml(tmp_path):
    write_toml(tmp_path, "[sheetsync]\nbatch_size = 7\n")
    assert load_settings({}, env={}, folder=tmp_path).batch_size == 7


def test_unknown_toml_key_is_rejected_naming_it_and_the_allowed_ones(tmp_path):
    write_toml(tmp_path, "rate_limt = 10\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({}, env={}, folder=tmp_path)
    message = str(caught.value)
    assert "'rate_limt'" in message
    assert "rate_limit" in message and "api_url" in message
    assert "\n" not in message


def test_token_in_toml_is_refused_without_echoing_it(tmp_path):
    write_toml(tmp_path, f'api_token = "{CANARY}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings({}, env={}, folder=tmp_path)
    assert CANARY not in str(caught.value)
    assert "BACKLINKBASE_API_TOKEN" in str(caught.value)


@pytest.mark.parametrize(
    ("source", "env", "toml"),
    [
        ("SHEETSYNC_RATE_LIMIT", {"SHEETSYNC_RATE_LIMIT": "fast"}, ""),
        ("sheetsync.toml", {}, 'rate_limit = "fast"\n'),
        ("sheetsync.toml", {}, "timeout = -1\n"),
        ("BACKLINKBASE_API_URL", {"BACKLINKBASE_API_URL": "backlinkbase.com"}, ""),
    ],
)
def test_bad_values_name_their_source_and_say_what_to_set(tmp_path, source, env, toml):
    write_toml(tmp_path, toml)
    with pytest.raises(ConfigError) as caught:
        load_settings({}, env=env, folder=tmp_path)
    message = str(caught.value)
    assert source in message
    assert "set it to" in message


def test_broken_toml_is_one_line_with_a_fix(tmp_path):
    write_toml(tmp_path, "rate_limit = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML.*fix the file"):
        load_settings({}, env={}, folder=tmp_path)


def test_token_comes_from_environment_and_never_shows(tmp_path):
    settings = load_settings({}, env={"BACKLINKBASE_API_TOKEN": CANARY}, folder=tmp_path)
    assert settings.require_token() == CANARY
    for text in (repr(settings), str(settings), f"{settings}", str(settings.public_dict())):
        assert CANARY not in text
    assert "<hidden>" in repr(settings)


def test_missing_token_says_what_to_do():
    with pytest.raises(ConfigError) as caught:
        Settings().require_token()
    message = str(caught.value)
    assert "BACKLINKBASE_API_TOKEN" in message
    assert "sheetsync demo" in message


def test_a_negative_credit_cap_is_told_what_range_is_allowed(tmp_path):
    # -3 is a whole number: the message says what is wrong with it.
    with pytest.raises(ConfigError) as caught:
        load_settings({"max_credits": -3}, env={}, folder=tmp_path)
    assert "0 or more" in str(caught.value) and "whole number" not in str(caught.value)
    with pytest.raises(ConfigError, match="0 or more"):
        load_settings({}, env={"SHEETSYNC_RATE_LIMIT": "-1"}, folder=tmp_path)
