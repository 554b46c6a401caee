"""gunicorn's access logger for `make serve` (consultation/gunicorn.conf.py): one JSON object per request, with
invitation tokens, cookies and credentials kept out. Only gunicorn imports this module."""

import json

from gunicorn import glogging

from consultation.logs import RedactInviteTokens, redact


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

    def setup(self, cfg) -> None:  # noqa: ANN001  # gunicorn's signature
        super().setup(cfg)
        # gunicorn's error log writes a malformed request line whole ("Invalid request line"): scrub it too.
        self.error_log.addFilter(RedactInviteTokens())

    def atoms(self, resp, req, environ, request_time) -> dict:  # noqa: ANN001  # gunicorn's signature
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self.SECRET_HEADERS:
            atoms.pop(key, None)
        atoms["B"] = atoms.get("B") or 0  # None before any body was sent; a number keeps the JSON valid
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
