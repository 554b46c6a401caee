"""Logging filter that keeps invitation tokens out of every log line: Django logs the path of each 4xx answer
(an expired link's 404, a 429 on /i/<token>/), and the development server logs request lines. gunicorn's access
logger is in consultation/access_log.py, so Django processes never import gunicorn."""

import logging
import re

INVITE_PATH = re.compile(r"/i/[^/\s?\"']+")


def redact(text: str) -> str:
    return INVITE_PATH.sub("/i/[token]", text)


class RedactInviteTokens(logging.Filter):
    """Redacts the whole message as it will be written (its arguments may be exceptions or request objects
    whose text carries a token, as gunicorn's "Invalid request line" does) and any traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = redact(message), ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class WithoutTraceback(logging.Filter):
    """One line, not a traceback, for what a stranger can cause at will (a request with a bad Host header)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True
