"""`make serve`'s gunicorn settings: long enough timeouts for exports, and an access log without tokens."""

import json
import os
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from consultation.access_log import AccessLogger

CONF = Path(__file__).resolve().parent.parent / "consultation" / "gunicorn.conf.py"
TOKEN = "Zx9-secret_TOKEN_value_that_must_never_be_logged"  # noqa: S105  # nosec B105


def gunicorn_settings() -> dict:
    return runpy.run_path(str(CONF))


def access_line(path: str, query: str = "", user_agent: str = "Mozilla/5.0") -> dict:
    """One access-log line as `make serve` writes it, parsed as JSON."""
    settings = gunicorn_settings()
    cfg = Config()
    cfg.set("access_log_format", settings["access_log_format"])
    logger = AccessLogger(cfg)
    uri = f"{path}?{query}" if query else path
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": user_agent,
        "HTTP_REFERER": f"http://127.0.0.1/i/{TOKEN}/",
    }
    request = SimpleNamespace(
        headers=[("COOKIE", "sessionid=abc123secret"), ("REFERER", environ["HTTP_REFERER"])]
    )
    response = SimpleNamespace(status="302 Found", sent=0, headers=[("Set-Cookie", "sessionid=abc123secret")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=12))
    line = cfg.access_log_format % logger.atoms_wrapper_class(atoms)
    assert TOKEN not in str(atoms)
    assert "abc123secret" not in str(atoms)
    return json.loads(line)


def test_the_access_log_shows_an_invitation_path_without_its_token() -> None:
    line = access_line(f"/i/{TOKEN}/")
    assert TOKEN not in json.dumps(line)
    assert line["path"] == "/i/[token]/"
    assert line["method"] == "POST"
    assert line["status"] == "302"
    assert line["duration_ms"] == 12


def test_the_access_log_has_no_query_string_cookie_or_referer() -> None:
    fmt = gunicorn_settings()["access_log_format"]
    for atom in ("%(r)s", "%(q)s", "%(f)s", "{cookie}i", "{referer}i"):
        assert atom not in fmt
    line = access_line("/admin/feedback/answer/", query="q=Alice+Martin")
    assert "Alice" not in json.dumps(line)


def test_each_access_log_line_is_valid_json_whatever_the_client_sends() -> None:
    line = access_line("/c/tech/questions/", user_agent='evil" agent\n{"status": "200"}')
    assert line["user_agent"] == 'evil" agent\n{"status": "200"}'
    assert line["path"] == "/c/tech/questions/"


def test_make_serve_does_not_cut_off_long_exports() -> None:
    settings = gunicorn_settings()
    assert settings["timeout"] >= 300
    assert settings["graceful_timeout"] >= 60
    assert settings["logger_class"] == "consultation.access_log.AccessLogger"


def test_django_processes_never_import_gunicorn():
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import django, sys; django.setup(); import consultation.urls; print('gunicorn' in sys.modules)",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "False"
