"""gunicorn settings for `make serve` (gunicorn -c consultation/gunicorn.conf.py consultation.wsgi).

Every value can be overridden from the environment; the defaults were chosen by measurement on a 2-core
machine (bench/http_load.py --compare, figures in docs/PERFORMANCE.md).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

# gthread: a thread pool per worker. On 2 cores, 2 workers x 8 threads served the question page about twice as
# fast as 3 or 5 sync workers, and autosave faster too (docs/PERFORMANCE.md, bench/http_load.py --compare);
# unlike sync workers they keep HTTP keep-alive connections, and the worker keeps beating the arbiter's heartbeat
# while a thread streams a long export, so `timeout` never kills an export in progress. 4 threads rather than 8:
# the resource page (a draft of 200 paragraphs) served 230-250 pages a second with 2 or 4 threads and 107-116
# with 8, its threads taking turns at the GIL; the other pages were as fast or faster with 4. Each thread holds
# its own persistent database connection (CONN_MAX_AGE): workers x threads connections per instance.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A worker silent for `timeout` seconds is killed and restarted. gthread workers keep beating while a thread
# streams, but a sync worker (GUNICORN_WORKER_CLASS=sync) does not, so the limit stays far above the longest
# export of a large consultation (bench/export.py), and a reverse proxy's read timeout must be as long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
# On restart or deploy (SIGTERM/SIGHUP) requests in flight, exports included, get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "120"))
# Above the idle timeout of a reverse proxy's upstream pool (nginx keepalive_timeout 60 s would be longer:
# set the proxy's lower), so the proxy never sends on a connection gunicorn is closing.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so that slow memory growth never builds up; jitter keeps them from restarting
# together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))

# Which peers may set X-Forwarded-Proto/-For for gunicorn (wsgi.url_scheme): the reverse proxy's address only.
# The default (127.0.0.1) fits a proxy on the same machine; a proxy elsewhere needs its address here, never "*"
# when clients can reach gunicorn directly. Django's own view of the client address is TRUSTED_PROXY_COUNT.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# One JSON object per request on stdout. consultation.access_log.AccessLogger rewrites /i/<token>/ to /i/[token]/ in every
# atom, drops cookie and credential headers and JSON-escapes values. No query string or referer: an organiser's search
# terms can hold participant names. Set ACCESS_LOG=0 to turn it off (the proxy may log instead; see
# docs/SECURITY.md for redacting tokens there).
logger_class = "consultation.access_log.AccessLogger"
accesslog = "-" if os.environ.get("ACCESS_LOG", "1") not in ("0", "false", "no", "off") else None
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": "%(s)s", '
    '"bytes": %(B)s, "duration_ms": %(M)s, "user_agent": "%(a)s", "pid": "%(p)s"}'
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
