"""Logging filter that keeps invitation tokens out of every log line: Django logs the path of each 4xx answer
(an expired link's 404, a 429 on /i/<token>/), and the development server logs request lines; and gunicorn's
access logger for `make serve`."""

import json
import logging
import re

from gunicorn import glogging

INVITE_PATH = re.compile(r"/i/[^/\s?\"']+")


def redact(text: str) -> str:
    return INVITE_PATH.sub("/i/[token]", text)


class RedactInviteTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(v) if isinstance(v, str) else v for key, v in record.args.items()}
        return True


class JsonAtoms(glogging.SafeAtoms):
    """gunicorn's atoms, with string values escaped for a JSON string (gunicorn's own escape only quotes)."""

    def __init__(self, atoms: dict) -> None:
        dict.__init__(self)
        for key, value in atoms.items():
            self[key] = json.dumps(value)[1:-1] if isinstance(value, str) else value


class AccessLogger(glogging.Logger):
    """gunicorn's access log (consultation/gunicorn.conf.py) with invitation tokens, cookies and credentials
    kept out: every string atom goes through redact() and header atoms that carry secrets are dropped. Values
    are JSON-escaped, so the JSON access_log_format stays one valid object per line whatever a client sends."""

    SECRET_HEADERS = (
        "{cookie}i",
        "{authorization}i",
        "{x-csrftoken}i",
        "{proxy-authorization}i",
        "{set-cookie}o",
    )
    atoms_wrapper_class = JsonAtoms

    def atoms(self, resp, req, environ, request_time) -> dict:  # noqa: ANN001  # gunicorn's signature
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self.SECRET_HEADERS:
            atoms.pop(key, None)
        atoms["B"] = atoms.get("B") or 0  # None before any body was sent; a number keeps the JSON valid
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
