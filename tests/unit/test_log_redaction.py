"""The log handler's redactor: token parameters in any notation, webhook secrets, configured secrets."""

import io
import json
import logging

from b24app.config import load_settings
from b24app.logs import Redactor, build_handler

URL = "GET /oauth/token/?grant_type=refresh_token&client_id=local.a&client_secret=s3cret&refresh_token=r1"


def test_token_parameters_are_masked_in_every_notation() -> None:
    redactor = Redactor()
    assert "s3cret" not in redactor.text(URL) and "r1" not in redactor.text(URL)
    assert "client_id=local.a" in redactor.text(URL)  # what is not secret stays readable
    assert redactor.text("{'auth': 'tok', 'id': 5}") == "{'auth': '***', 'id': 5}"
    assert redactor.text('{"access_token": "tok"}') == '{"access_token": "***"}'
    assert (
        redactor.text("auth[access_token]=tok&auth[member_id]=m")
        == "auth[access_token]=***&auth[member_id]=m"
    )
    assert redactor.text("AUTH_ID=a&REFRESH_ID=b") == "AUTH_ID=***&REFRESH_ID=***"
    assert redactor.text("https://x/rest/1/abc123def/crm.deal.get") == "https://x/rest/1/***/crm.deal.get"
    assert redactor.text("error_code=QUERY_LIMIT_EXCEEDED") == "error_code=QUERY_LIMIT_EXCEEDED"


def test_configured_secrets_and_secret_fields_are_masked_anywhere() -> None:
    redactor = Redactor(["my-client-secret"])
    assert redactor.text("oops my-client-secret") == "oops ***"
    assert redactor.data({"refresh_token": "r", "nested": [{"note": "auth=t"}]}) == {
        "refresh_token": "***",
        "nested": [{"note": "auth=***"}],
    }


def test_the_handler_redacts_messages_extras_and_tracebacks() -> None:
    settings = load_settings({"app_env": "test", "b24_client_secret": "client-s3cret"}, env={})
    buffer = io.StringIO()
    logger = logging.getLogger("test.redaction")
    logger.addHandler(build_handler(settings, buffer))
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        raise ValueError("failed: " + URL.replace("s3cret", "client-s3cret"))
    except ValueError:
        logger.exception("call %s", "access_token=tok", extra={"payload": {"refresh_token": "r"}})
    line = json.loads(buffer.getvalue())
    assert line["event"] == "call access_token=***" and line["payload"] == {"refresh_token": "***"}
    assert "client-s3cret" not in line["exc"] and "refresh_token=***" in line["exc"]
