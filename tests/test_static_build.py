"""The production static build: hashed, compressed files that gunicorn's whitenoise serves."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_collectstatic_with_the_production_storage_succeeds(tmp_path: Path):
    # The manifest storage fails on any CSS or JS that references a file we did not copy (e.g. a source map),
    # which would break every page of a production deployment; run it as `make serve` does.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
        "ENV_FILE": "/nonexistent",
        "DEBUG": "0",
        "SECRET_KEY": "collectstatic-test-" + "x" * 40,
        "STATICFILES_BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "STATIC_ROOT": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/bootstrap/bootstrap.min.*.css"))
