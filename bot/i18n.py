"""English and Simplified Chinese message catalogs.

Each feature ships its own catalog (``{"en": {...}, "zh": {...}}``) next to its commands; the
:class:`Translator` built in ``build_app`` merges them and refuses duplicate keys, so features cannot
silently overwrite each other's wording. A test checks every key exists in both languages with the
same placeholders.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

LOCALES = ("en", "zh")
DEFAULT_LOCALE = "en"

Catalog = Mapping[str, Mapping[str, str]]


def normalise_locale(value: str | None) -> str | None:
    """Map platform locales (``zh-CN``, ``zh_CN``, ``en-US``) to a supported one, or None."""
    if not value:
        return None
    head = value.replace("_", "-").split("-")[0].lower()
    if head in ("zh", "cn", "中文"):
        return "zh"
    if head == "en":
        return "en"
    return None


def placeholders(template: str) -> frozenset[str]:
    """The ``{name}`` fields a template uses."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


class Translator:
    """Looks up and formats messages in the reader's language."""

    def __init__(self, catalogs: Iterable[Catalog]) -> None:
        merged: dict[str, dict[str, str]] = {loc: {} for loc in LOCALES}
        for catalog in catalogs:
            for loc in LOCALES:
                for key, text in catalog.get(loc, {}).items():
                    if key in merged[loc]:
                        raise ValueError(f"duplicate message key {key!r} ({loc})")
                    merged[loc][key] = text
        self._messages = merged

    def messages(self, locale: str) -> Mapping[str, str]:
        """The whole catalog of one locale (for consistency tests)."""
        return self._messages[locale]

    def has(self, key: str) -> bool:
        """True when ``key`` exists in the default locale."""
        return key in self._messages[DEFAULT_LOCALE]

    def t(self, key: str, locale: str, /, **values: object) -> str:
        """The message ``key`` in ``locale`` (falling back to English), formatted with ``values``."""
        table = self._messages.get(locale) or self._messages[DEFAULT_LOCALE]
        template = table.get(key) or self._messages[DEFAULT_LOCALE][key]
        return template.format(**values) if values else template
