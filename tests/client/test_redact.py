import logging

from sheetsync.redact import Secret, install_log_filter, one_line, redact

TOKEN = "s3cr3t/t0ken+with=odd&chars"


def test_masks_the_raw_and_url_encoded_token():
    text = f"raw {TOKEN} quoted s3cr3t%2Ft0ken%2Bwith%3Dodd%26chars plus s3cr3t%2Ft0ken%2Bwith%3Dodd%26chars"
    assert "s3cr3t" not in redact(text, TOKEN)


def test_masks_any_api_token_value_without_knowing_it():
    url = "GET /api/v1/credits?id=4&api_token=abcdef123456&x=1 HTTP/1.1"
    assert redact(url) == "GET /api/v1/credits?id=4&api_token=***&x=1 HTTP/1.1"
    body = '{"name": "x", "api_token": "abc\\"def", "id": 1}'
    assert redact(body) == '{"name": "x", "api_token": "***", "id": 1}'


def test_advice_naming_the_environment_variable_stays_readable():
    advice = "export BACKLINKBASE_API_TOKEN=<your token> and run again"
    assert redact(advice) == advice
    assert redact(f"BACKLINKBASE_API_TOKEN={TOKEN}", TOKEN) == "BACKLINKBASE_API_TOKEN=***"


def test_leaves_ordinary_text_alone():
    assert redact("Task created successfully.", TOKEN) == "Task created successfully."


def test_secret_never_shows_itself():
    secret = Secret(TOKEN)
    assert TOKEN not in repr(secret) and TOKEN not in str(secret) and TOKEN not in f"{secret}"
    assert secret.reveal() == TOKEN


def test_one_line_collapses_whitespace_and_cuts():
    assert one_line("a\n  b\tc") == "a b c"
    assert len(one_line("x" * 1000, 50)) == 50


def test_log_filter_scrubs_third_party_url_logs(caplog):
    install_log_filter()
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logging.getLogger("urllib3.connectionpool").debug(
            '%s://%s:%s "%s %s %s" %s', "http", "h", 80, "GET", "/api/v1/tasks?api_token=leaky-token", "HTTP/1.1", 200
        )
    assert "leaky-token" not in caplog.text
    assert "api_token=***" in caplog.text
