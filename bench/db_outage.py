"""Database outage drill: PostgreSQL stops for a few seconds under autosave load; nothing typed may be lost.

Usage: .venv/bin/python bench/db_outage.py [--participants 8] [--outage 5]
Never touches the machine's shared PostgreSQL: creates a private cluster (initdb, trust auth) in a temporary
folder on 127.0.0.1:5440, run as the `postgres` OS user when started as root (initdb refuses root), with the
binaries of /usr/lib/postgresql/<newest>/bin (or PG_BIN). Migrates and seeds it with bench/concurrency.py's
seed, starts gunicorn with consultation/gunicorn.conf.py and production settings on the first free port of
127.0.0.1:8120-8129 (bench/http_load.py's start_server), confirms the participants' invitations, then:
  (a) every participant autosaves answers continuously; a failed save is retried with autosave.js's backoff
      (2 s doubling to 30 s, or Retry-After), and the participant keeps typing meanwhile, so a retry sends the
      newest text, as the browser does;
  (b) the cluster is stopped (pg_ctl stop -m fast) for --outage seconds, then started again;
  (c) during the outage a participant page must answer 503 with the "briefly unavailable" page and an autosave
      503 with its JSON message, each within a few seconds (no 500, no hang);
  (d) after recovery, every participant's last text for every question must be stored exactly.
Counts every 5xx other than the 503s of the outage window, and every request slower than --hang seconds.
Prints a summary; exits 1 when something was lost or an answer was wrong. The cluster, gunicorn and the
temporary folder are removed at the end, whatever happened.
"""

import argparse
import glob
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from concurrency import QUESTIONS, SLUG, Browser, Stats, random_text, seed  # noqa: E402
from http_load import start_server, stop_server  # noqa: E402
from loopback_env import HIGH_RATE_LIMITS, production_like  # noqa: E402

PG_PORT = 5440
APP_PORTS = range(8120, 8130)
MESSAGE = "The service is briefly unavailable; your text is kept in this browser, try again in a minute."
FIRST_RETRY_S, MAX_RETRY_S = 2.0, 30.0  # static/js/autosave.js: FIRST_RETRY_MS, MAX_RETRY_MS
REQUEST_TIMEOUT = 30


class Cluster:
    """A private PostgreSQL cluster in a temporary folder, owned by the postgres OS user when we are root."""

    def __init__(self, workdir: Path) -> None:
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
        self.bin = Path(os.environ.get("PG_BIN") or (versions[-1] if versions else ""))
        if not (self.bin / "initdb").exists():
            raise RuntimeError("no PostgreSQL server binaries: set PG_BIN or install postgresql")
        self.dir = workdir / "pg"
        self.data = self.dir / "data"
        self.dir.mkdir()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(workdir, "postgres")
            shutil.chown(self.dir, "postgres")

    def run(self, *command: str) -> None:
        subprocess.run([*self.as_postgres, *command], check=True, capture_output=True, timeout=120)  # noqa: S603  # nosec B603

    def init(self) -> None:
        self.run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"
        )
        self.start()

    def start(self) -> None:
        options = f"-p {PG_PORT} -c listen_addresses=127.0.0.1 -k {self.dir}"
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
                 "-o", options, "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{PG_PORT}"


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Drill:
    """Every request's outcome, and the outage window to judge the 503s by."""

    def __init__(self, hang: float) -> None:
        self.lock = threading.Lock()
        self.hang = hang
        self.codes: Counter[str] = Counter()
        self.requests: list[tuple[float, float, str]] = []  # start, end, status or exception name
        self.down_at = self.up_at = None
        self.last_sent: dict[tuple[str, int], str] = {}
        self.given_up: list[str] = []

    def note(self, started: float, status: str) -> None:
        with self.lock:
            self.codes[status] += 1
            self.requests.append((started, time.monotonic(), status))

    def unexpected(self, grace: float = 1.0) -> list[tuple[float, float, str]]:
        """5xx other than a 503 while the database was away (with `grace` seconds either side), and errors."""
        down, up = self.down_at or 0, self.up_at or time.monotonic()
        wrong = []
        for started, ended, status in self.requests:
            in_window = ended >= down - grace and started <= up + grace
            if (status.startswith("5") and not (status == "503" and in_window)) or not status[0].isdigit():
                wrong.append((started, ended, status))
        return wrong

    def hangs(self) -> list[tuple[float, float, str]]:
        return [r for r in self.requests if r[1] - r[0] > self.hang]


def keep_typing(drill: Drill, browser: Browser, name: str, stop: threading.Event, seed_: int) -> None:
    """One participant typing answers: each save is retried, with the newest text, until the server takes it."""
    rng = random.Random(seed_)  # noqa: S311  # nosec B311  # reproducible test text, not secrets
    edit = 0
    while not stop.is_set():
        number = rng.randint(1, QUESTIONS)
        delay, retry_until = 0.0, time.monotonic() + 120
        while True:
            edit += 1
            # The newest text of the field: what the browser keeps in localStorage and sends (again).
            text = f"{name} edit {edit}: {random_text(rng)}"
            drill.last_sent[(name, number)] = text
            started = time.monotonic()
            try:
                answer = browser.session.post(
                    f"{browser.base}/c/{SLUG}/autosave/",
                    data={"csrfmiddlewaretoken": browser.csrf, "field": f"q{number}", f"q{number}": text},
                    headers={"X-CSRFToken": browser.csrf, "Accept": "application/json",
                             "Referer": f"{browser.base}/c/{SLUG}/questions/"},
                    timeout=REQUEST_TIMEOUT,
                )  # fmt: skip
                status, retry_after = str(answer.status_code), answer.headers.get("Retry-After")
            except requests.RequestException as error:
                status, retry_after = type(error).__name__, None
            drill.note(started, status)
            if status == "200":
                break
            if status in ("400", "403", "404", "409") or time.monotonic() > retry_until:
                drill.given_up.append(f"{name} q{number}: {status}")
                break
            delay = min(delay * 2 if delay else FIRST_RETRY_S, MAX_RETRY_S)
            delay = max(delay, float(retry_after or 0))
            time.sleep(delay)
        time.sleep(rng.uniform(0.2, 0.6))  # the pause after which autosave.js sends (TYPING_PAUSE_MS is 1 s)


def probe(base: str, browser: Browser) -> list[str]:
    """During the outage: a participant page and an autosave must say the service is briefly unavailable."""
    problems = []
    for label, method, headers, data in (
        ("questions page", "GET", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, None),
        ("autosave", "POST", {"Accept": "application/json", "X-CSRFToken": browser.csrf},
         {"csrfmiddlewaretoken": browser.csrf, "field": "q1", "q1": "probe"}),
    ):  # fmt: skip
        path = f"/c/{SLUG}/questions/" if method == "GET" else f"/c/{SLUG}/autosave/"
        started = time.monotonic()
        try:
            answer = browser.session.request(method, base + path, headers=headers, data=data, timeout=10)
        except requests.RequestException as error:
            problems.append(f"{label}: {error!r}")
            continue
        seconds = time.monotonic() - started
        body = answer.text
        clear = MESSAGE in (answer.json().get("error", "") if method == "POST" and body[:1] == "{" else body)
        print(f"  outage probe: {label:<15} {answer.status_code} in {seconds:.2f} s, message shown: {clear}")
        if answer.status_code != 503 or not clear or seconds > 5 or "Traceback" in body:
            problems.append(f"{label}: {answer.status_code} in {seconds:.2f} s, message shown: {clear}")
    ready = requests.get(f"{base}/readyz", timeout=10)
    print(f"  outage probe: {'/readyz':<15} {ready.status_code} {ready.text.strip()!r}")
    if ready.status_code != 503:
        problems.append(f"/readyz answered {ready.status_code}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=8)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds the database stays stopped")
    parser.add_argument("--before", type=float, default=4.0, help="seconds of autosaves before the outage")
    parser.add_argument("--after", type=float, default=6.0, help="seconds of autosaves after recovery")
    parser.add_argument("--hang", type=float, default=5.0, help="a request slower than this is a hang")
    args = parser.parse_args()

    if not port_free(PG_PORT):
        print(f"127.0.0.1:{PG_PORT} is taken: another drill running?")
        return 2
    port = next((p for p in APP_PORTS if port_free(p)), None)
    if port is None:
        print("no free port in 127.0.0.1:8120-8129")
        return 2
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="db-outage-"))
    workdir.chmod(0o755)
    cluster = Cluster(workdir)
    server = None
    # A SIGTERM (a CI timeout, ^C in make) still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        cluster.init()
        env = production_like(
            workdir,
            DATABASE_URL=f"{cluster.url}/postgres",
            SITE_URL=base,
            REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
            CACHE_KEY_PREFIX=f"db-outage-{secrets.token_hex(4)}",
            TRUSTED_PROXY_COUNT="1",
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            GUNICORN_LOG_LEVEL="warning",
            **HIGH_RATE_LIMITS,
        )
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from feedback.models import Answer

        call_command("migrate", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        tokens = seed(args.participants)
        connection.close()
        server = start_server(env, port, workdir)

        setup = Stats()
        browsers = {}
        for index in range(args.participants):
            browser = Browser(base, f"10.3.0.{index + 1}", setup)
            browser.confirm_invite(tokens[f"p{index}"])
            browsers[f"p{index}"] = browser
        if setup.errors:
            print("setting up the participants failed:", *setup.errors[:5], sep="\n  ")
            return 1
        prober = Browser(base, "10.3.1.1", setup)
        prober.confirm_invite(tokens["racer-autosave"])

        drill = Drill(args.hang)
        stop = threading.Event()
        threads = [
            threading.Thread(target=keep_typing, args=(drill, browser, name, stop, index), daemon=True)
            for index, (name, browser) in enumerate(browsers.items())
        ]
        print(
            f"PostgreSQL {cluster.bin.parent.name} on 127.0.0.1:{PG_PORT} (private), gunicorn on {base}; "
            f"{args.participants} participants typing; outage {args.outage:.0f} s",
            flush=True,
        )
        for thread in threads:
            thread.start()
        time.sleep(args.before)

        drill.down_at = time.monotonic()
        cluster.stop("fast")
        stopped_in = time.monotonic() - drill.down_at
        print(f"  database stopped (pg_ctl stop -m fast, {stopped_in:.2f} s)", flush=True)
        problems = probe(base, prober)
        time.sleep(max(0.0, args.outage - (time.monotonic() - drill.down_at)))
        cluster.start()
        drill.up_at = time.monotonic()
        print(f"  database started again after {drill.up_at - drill.down_at:.1f} s", flush=True)

        time.sleep(args.after)
        stop.set()
        for thread in threads:
            thread.join(150)  # a participant still retrying finishes first (backoff at most 30 s)

        stored = {
            (name, number): text
            for name, number, text in Answer.objects.filter(
                response__participant__name__in=browsers
            ).values_list("response__participant__name", "question__number", "text")
        }
        lost = sorted(key for key, text in drill.last_sent.items() if stored.get(key) != text)
        unexpected, hangs = drill.unexpected(), drill.hangs()
        access = [
            json.loads(line) for line in (workdir / "access.log").read_text().splitlines() if line[:1] == "{"
        ]
        server_5xx = Counter(entry["status"] for entry in access if entry["status"].startswith("5"))

        print("\nAutosave requests by answer:", dict(sorted(drill.codes.items())))
        print(f"  gunicorn access log, 5xx by status: {dict(server_5xx) or 'none'}")
        print(f"  503s during the outage window: {drill.codes['503']}")
        print(f"  unexpected 5xx or errors: {len(unexpected)}; requests over {args.hang:.0f} s: {len(hangs)}")
        waits = [r[1] - r[0] for r in drill.requests]
        print(f"  slowest request: {max(waits):.2f} s")
        print(
            f"  fields typed: {len(drill.last_sent)}; stored exactly as last sent: {len(drill.last_sent) - len(lost)}"
        )
        if drill.given_up:
            problems.append(f"{len(drill.given_up)} saves given up: {drill.given_up[:3]}")
        if lost:
            problems.append(f"{len(lost)} fields lost or stale, e.g. {lost[:3]}")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected answers: {Counter(r[2] for r in unexpected)}")
        if hangs:
            problems.append(f"{len(hangs)} requests took more than {args.hang} s")
        if not drill.codes["503"]:
            problems.append("no autosave saw the outage (no 503): the drill did not test anything")
        if server_5xx.keys() - {"503"}:
            problems.append(f"gunicorn logged {dict(server_5xx)}")
        print(
            "\nFAILED:\n  " + "\n  ".join(problems)
            if problems
            else "\nOK: nothing lost, only 503s while away"
        )
        return 1 if problems else 0
    finally:
        if server is not None:
            stop_server(server)
        if cluster.running:
            try:
                cluster.stop("immediate")
            except subprocess.CalledProcessError as error:
                print(f"pg_ctl stop failed: {error.stderr.decode(errors='replace')}")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
