"""Logging filter that keeps invitation tokens out of every log line: Django logs the path of each 4xx answer
(an expired link's 404, a 429 on /i/<token>/), and the development server logs request lines. gunicorn's access
logger is in consultation/access_log.py, so Django processes never import gunicorn."""

import logging
import re

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
