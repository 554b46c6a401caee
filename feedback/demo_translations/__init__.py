"""The demo consultation's content in French, Spanish and Arabic, loaded by seed_demo (one module a language).

Each module holds CONSULTATION (field -> text), QUESTIONS (number -> text), RESOURCES (English title ->
(title, summary, [section headings in order])) and THEMES (code -> (name, description)). What a module leaves
out shows in English: the fallback organisers rely on too.
"""

import importlib
from types import ModuleType

LANGUAGES = ("fr", "es", "ar")


def load(language: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"feedback.demo_translations.{language}")
    except ModuleNotFoundError:
        return None
