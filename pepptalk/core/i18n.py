"""Copy from prompts/ by key, and locale-aware formatting of dates, numbers and lists.

In the prompt files a command is written between backticks ("Add sellers with `team add @name`."):
`Copy.text` hands it back as a `Command`, so each platform shows it the way it is typed there.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache, lru_cache
from importlib import resources
from string import Formatter
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent, get_minus_sign_symbol

from pepptalk.core.kinds import Cadence, FeedbackKind, Mood
from pepptalk.core.messages import Command, Person, Rich, Text

LANGUAGES = ("en", "nb", "sv", "da")
DEFAULT_LANGUAGE = "en"
_LOCALES = {"en": "en_GB", "nb": "nb_NO", "sv": "sv_SE", "da": "da_DK"}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            # A list (a bank of questions) is kept as "name.0", "name.1", ...
            flat.update({f"{name}.{i}": str(item) for i, item in enumerate(value)})
        else:
            flat[name] = str(value)
    return flat


@cache
def load_prompts(language: str) -> dict[str, str]:
    """All copy of one language as a flat {"section.key": text} mapping."""
    text = resources.files("pepptalk.prompts").joinpath(f"{language}.toml").read_text("utf-8")
    return _flatten(tomllib.loads(text))


class Copy:
    """The words and formats of one language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.locale = _LOCALES[self.language]
        self._texts = load_prompts(self.language)
        # A text with nothing to fill in is the same every time (the help is made of them).
        self._fixed: dict[str, Text] = {}

    def __call__(self, key: str, **values: object) -> str:
        """The text for `key` as plain characters, with its {placeholders} filled in."""
        return _fill(self._texts[key].replace("`", ""), values)

    def maybe(self, key: str, **values: object) -> str | None:
        """The text for `key` when this language has one (the question banks, metric names)."""
        return self(key, **values) if key in self._texts else None

    def choices(self, prefix: str) -> list[str]:
        """The texts of a list in the prompts (`prefix.0`, `prefix.1`, ...), raw."""
        found: list[str] = []
        while (text := self._texts.get(f"{prefix}.{len(found)}")) is not None:
            found.append(text)
        return found

    def fill(self, template: str, **values: object) -> str:
        """A text from `choices`, filled in."""
        return _fill(template, values)

    def text(self, key: str, **values: object) -> Text:
        """The text for `key`, its `commands` kept apart from the words around them."""
        if not values:
            fixed = self._fixed.get(key)
            if fixed is None:
                fixed = self._fixed[key] = self._text(key, values)
            return fixed
        return self._text(key, values)

    def _text(self, key: str, values: dict[str, object]) -> Text:
        # Split before filling in: a seller's words in a placeholder can never become a command.
        pieces = self._texts[key].split("`")
        people = any(isinstance(v, Person) for v in values.values())
        if len(pieces) == 1 and not people:
            return _fill(pieces[0], values)
        parts: list[str | Command | Person] = []
        for i, piece in enumerate(pieces):
            if i % 2:
                parts.append(Command(_fill(piece, values)))
            else:
                parts.extend(_fill_parts(piece, values))
        return Rich(tuple(parts))

    def date(self, day: dt.date) -> str:
        """A date as people write it in this language, weekday first."""
        return _dated("full", day, self.locale)

    def short_date(self, day: dt.date) -> str:
        """A date without the weekday."""
        return _dated("long", day, self.locale)

    def day(self, day: dt.date) -> str:
        """A date within the next weeks, short and without the year: "Thu 26 Nov"."""
        return _skeleton("MMMEd", day, self.locale)

    def month_day(self, day: dt.date) -> str:
        """A day and month only, for a chart's axis: "16 Nov"."""
        return _skeleton("MMMd", day, self.locale)

    def ago(self, day: dt.date, today: dt.date) -> str:
        """How long ago a day was, as people say it: "yesterday", "3 days ago", "8 weeks ago"."""
        days = (today - day).days
        if days <= 0:
            return self("time.today")
        if days == 1:
            return self("time.yesterday")
        if days < 14:
            return self("time.days_ago", n=days)
        if days < 63:
            return self("time.weeks_ago", n=days // 7)
        return self("time.months_ago", n=round(days / 30.4))

    def decimal(self, number: float) -> str:
        """A number with one decimal, with this language's decimal mark."""
        return str(format_decimal(round(number, 1), format="0.0", locale=self.locale))

    def number(self, number: float) -> str:
        """A figure as people read it here: whole numbers whole, grouped by thousands."""
        return str(format_decimal(number, format="#,##0.#", locale=self.locale))

    def language_name(self, code: str) -> str:
        """A language as this one names it ("norsk bokmål", "Swedish")."""
        name = Locale.parse(_LOCALES.get(code, code)).get_language_name(self.locale)
        return str(name or code)

    def percent(self, share: float) -> str:
        """A share as a percentage, signed when it is a change ("+12 %" / "−8 %")."""
        return str(format_percent(share, format=_signed_percent(self.locale), locale=self.locale))

    def share(self, share: float) -> str:
        """A part of a whole as a percentage, as this language writes it ("87 %", "87%")."""
        return str(format_percent(share, locale=self.locale))

    def times(self, ratio: float) -> str:
        """A ratio against a whole: "1.6×"."""
        return f"{self.decimal(ratio)}×"

    def join(self, items: list[str]) -> str:
        """A list as a sentence fragment: "Anna, Bjørn and Cecilie"."""
        return str(format_list(items, locale=self.locale)) if items else ""

    def mood(self, mood: int) -> str:
        """The name of a mood, 1 to 5."""
        return self(f"mood.{mood}")

    def mood_label(self, mood: Mood) -> str:
        """A mood as shown on buttons and in summaries: face and word."""
        return f"{mood.emoji} {self.mood(mood)}"

    def kind(self, kind: FeedbackKind) -> str:
        """A kind of feedback talk, as people say it."""
        return self(f"feedback.kind_{kind.value}")

    def cadence(self, cadence: Cadence) -> str:
        """A cadence, as people say it ("every other week")."""
        return self(f"feedback.cadence_{cadence.value.replace('-', '_')}")


# Babel works a date's format out anew on each call, and a `seen` list formats a date per seller;
# the dates people see are few (mostly the weeks around today), so each is worked out once.
@lru_cache(maxsize=4096)
def _dated(length: str, day: dt.date, locale: str) -> str:
    return str(format_date(day, format=length, locale=locale))


@lru_cache(maxsize=4096)
def _skeleton(skeleton: str, day: dt.date, locale: str) -> str:
    return str(format_skeleton(skeleton, day, locale=locale))


# The templates are the prompts' own texts: each is parsed once, not on every reply that uses it.
@lru_cache(maxsize=4096)
def _parsed(template: str) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
    return tuple(Formatter().parse(template))


def _fill(template: str, values: dict[str, object]) -> str:
    """A template filled in; a value that ends a sentence with its own full stop (Norwegian
    "tor. 26. nov.") does not get a second one from the template."""
    out: list[str] = []
    for literal, name, spec, conversion in _parsed(template):
        if out and literal.startswith(".") and out[-1].endswith("."):
            literal = literal[1:]
        out.append(literal)
        if name is not None:
            value = values[name]
            if conversion:
                value = repr(value) if conversion == "r" else str(value)
            out.append(format(value, spec or ""))
    return "".join(out)


def _fill_parts(template: str, values: dict[str, object]) -> list[str | Person]:
    """A template filled in, each person kept as a part of their own (to become a mention)."""
    parts: list[str | Person] = []
    text = ""
    for literal, name, spec, _ in _parsed(template):
        text += literal
        if name is None:
            continue
        value = values[name]
        if isinstance(value, Person):
            if text:
                parts.append(text)
            parts.append(value)
            text = ""
        else:
            text += format(value, spec or "")
    if text:
        parts.append(text)
    return parts


@cache
@cache
def _signed_percent(locale: str) -> str:
    """The language's own percent pattern ("12 %" in the Nordic ones), with a sign either way
    and the language's own minus."""
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return f"+{pattern};{get_minus_sign_symbol(locale)}{pattern}"


def copy_for(language: str) -> Copy:
    """The (cached) Copy for a language; unknown languages fall back to English."""
    return Copy(language)
