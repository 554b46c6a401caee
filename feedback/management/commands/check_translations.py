"""Fail when any string the app shows is missing, untranslated or fuzzy in a language's catalogue.

Runs makemessages on a copy of the sources and catalogues (the committed files stay as they are), so a string
added to the code but never extracted counts as untranslated too. CI runs it in `make test`.
"""

import re
import shutil
import subprocess  # nosec B404  # gettext's own tools, fixed arguments
import tempfile
from contextlib import chdir
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

SOURCES = ("consultation", "feedback", "templates")
STATISTICS = re.compile(r"(\d+) (translated|fuzzy|untranslated)")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(f"GNU gettext is needed ({name} is missing): install the 'gettext' package.")
    return path


def statistics(po_file: Path) -> dict[str, int]:
    """Counts of translated, fuzzy and untranslated messages, as msgfmt --check reports them."""
    result = subprocess.run(  # noqa: S603  # nosec B603  # fixed arguments, the tool's full path
        [_tool("msgfmt"), "--check", "--statistics", "-o", "/dev/null", str(po_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CommandError(f"{po_file}: msgfmt --check failed:\n{result.stderr.strip()}")
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for number, kind in STATISTICS.findall(result.stderr):
        counts[kind] = int(number)
    return counts


def offending(po_file: Path, option: str) -> list[str]:
    """The msgids that msgattrib selects with `option` (--untranslated or --only-fuzzy)."""
    result = subprocess.run(  # noqa: S603  # nosec B603  # fixed arguments, the tool's full path
        [_tool("msgattrib"), option, "--no-obsolete", "--no-wrap", str(po_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        line[len("msgid ") :]
        for line in result.stdout.splitlines()
        if line.startswith('msgid "') and line != 'msgid ""'
    ]


class Command(BaseCommand):
    help = "Check that every language's catalogue translates every string of the code, none fuzzy."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--locale-dir", default=str(settings.BASE_DIR / "locale"))

    def handle(self, *args: object, **options: object) -> None:
        locale_dir = Path(str(options["locale_dir"]))
        languages = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        problems = []
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for name in SOURCES:
                shutil.copytree(
                    settings.BASE_DIR / name, work / name, ignore=shutil.ignore_patterns("__pycache__")
                )
            shutil.copytree(locale_dir, work / "locale", ignore=shutil.ignore_patterns("*.mo"))
            with override_settings(LOCALE_PATHS=[work / "locale"]), chdir(work):
                call_command("makemessages", locale=languages, add_location="file", verbosity=0)
            for language in languages:
                po_file = work / "locale" / language / "LC_MESSAGES" / "django.po"
                counts = statistics(po_file)
                self.stdout.write(
                    f"{language}: {counts['translated']} translated, {counts['fuzzy']} fuzzy, "
                    f"{counts['untranslated']} untranslated"
                )
                for option, what in (("--untranslated", "untranslated"), ("--only-fuzzy", "fuzzy")):
                    for msgid in offending(po_file, option):
                        problems.append(f"{language}: {what}: {msgid}")
        if problems:
            shown = "\n".join(problems[:50])
            more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
            raise CommandError(
                f"{len(problems)} strings are untranslated or fuzzy (run makemessages, then translate them; "
                f"terms in docs/GLOSSARY.md):\n{shown}{more}"
            )
