"""A bounded breadth-first crawl of the web pages a user can reach, and the checks that a page
speaks the user's language: no raw enum value, no Python repr, no English sentence on a Chinese
page, no Chinese on an English page (proper names aside).

Used by tests/web/test_crawl_i18n.py; kept apart so the checks can be run by hand against any
app (``crawl(client, ...)`` takes anything with a Flask-test-client-like ``get``).
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import emc

# Pages that are not the user's pages (API, its docs, downloads) or that end the session.
SKIP_PREFIXES = ("/api/", "/static/", "/logout", "/healthz")
SKIP_SUFFIXES = (".csv", ".xlsx", ".pdf", ".json")
# Query arguments that only move around a list: one page of each list is enough.
LIST_ARGS = {"page", "history_page", "sort", "dir", "q", "status", "year", "type"}

# Words that are allowed in a Chinese page as they are: units, standards and their statistics,
# abbreviations that Chinese readers use as such, file formats.
ALLOWED_WORDS = {
    "kwh",
    "mwh",
    "gj",
    "mj",
    "kw",
    "kva",
    "m3",
    "m²",
    "m³",
    "m2",
    "kg",
    "t",
    "h",
    "min",
    "tce",
    "kgce",
    "tco2",
    "kgco2",
    "co2",
    "tco₂",
    "co₂",
    "yuan",
    "ipmvp",
    "cv",
    "rmse",
    "cv(rmse)",
    "nmbe",
    "caltrack",
    "towt",
    "ashrae",
    "g14",
    "r2",
    "r²",
    "esco",
    "emc",
    "api",
    "csv",
    "xlsx",
    "pdf",
    "id",
    "gb",
    "gb/t",
    "npv",
    "irr",
    "hdd",
    "cdd",
    "lpg",
    "pv",
    "utc",
    "url",
    "token",
    "openapi",
    "swagger",
    "json",
    "ok",
    "iana",
    "asia",
    "shanghai",
    "sha256",
    "cron",
    "http",
    "https",
    "a",
    "b",
    "c",
    "d",
}
# Enum values that are also ordinary words or signs a page may show as themselves.
ENUM_VALUES_ALLOWED = {"tce"}

# str enums that are never shown as words: units are printed as themselves; the rest are
# internal (export cell kinds, ingest error codes, summary dimensions, workflow sides).
NOT_LABELLED = {"Unit", "Kind", "Code", "SummaryDimension", "Side"}
# A stored value in a long text (a cited source, a sentence) is caught by the English check; a
# value on its own (a cell, a "label: value") or in snake_case is a raw value.
SHORT_TEXT = 40

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_NUMBER_ID = re.compile(r"^\d+$")
_REPRS = ("{'", "<emc.", "Decimal(", "datetime.date(", "datetime.datetime(", "[{'")


def str_enum_values() -> set[str]:
    """The values of every ``str`` enum defined in the emc package (all modules imported)."""
    for module in pkgutil.walk_packages(emc.__path__, "emc."):
        if ".migrations" in module.name or module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    values: set[str] = set()
    seen: set[type] = set()
    todo: list[type] = [enum.Enum]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            todo.append(sub)
            if (
                issubclass(sub, str)
                and sub.__module__.startswith("emc")
                and sub.__name__ not in NOT_LABELLED
            ):
                values.update(m.value for m in sub)
    return {v for v in values if len(v) > 1 and v not in ENUM_VALUES_ALLOWED}


class _Text(HTMLParser):
    """The visible text of a page (per text node, with the tag it sits in) and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[tuple[str, str]] = []
        self.links: list[str] = []
        self._stack: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") and attrs.get("download") is None:
            self.links.append(attrs["href"])
        # A textarea holds an editable document (the contract terms' JSON), not page text.
        if tag in ("script", "style", "template", "textarea"):
            self._hidden += 1
        for name in ("title", "placeholder", "aria-label", "alt"):
            if attrs.get(name):
                self.nodes.append((f"@{name}", attrs[name]))
        if tag in ("input",) and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.nodes.append(("@value", attrs["value"]))
        if tag not in ("br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"):
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "textarea") and self._hidden:
            self._hidden -= 1
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._hidden or not data.strip():
            return
        self.nodes.append((self._stack[-1] if self._stack else "", data.strip()))


@dataclass
class Finding:
    url: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.url}: {self.kind}: {self.text!r}"


@dataclass
class Crawl:
    pages: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def pattern(url: str) -> str:
    """``url`` with its ids normalised and its list arguments dropped: one page per pattern."""
    parts = urlsplit(url)
    path = "/".join("<id>" if _NUMBER_ID.match(s) else s for s in parts.path.split("/"))
    keys = sorted({k for k, _v in parse_qsl(parts.query) if k not in LIST_ARGS})
    return path + ("?" + "&".join(keys) if keys else "")


def _same_site(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(
    client,
    check: Callable[[str, list[tuple[str, str]]], Iterable[Finding]],
    *,
    start: Iterable[str] = ("/",),
    limit: int = 200,
    per_pattern: int = 1,
) -> Crawl:
    """Visit pages breadth-first from ``start`` (GET only, ``per_pattern`` pages per
    :func:`pattern`, at most ``limit``), run ``check(url, text_nodes)`` on each HTML page, and collect what it finds."""
    result = Crawl()
    queue = deque(start)
    seen = Counter(pattern(u) for u in start)
    queued = set(start)
    while queue and len(result.pages) < limit:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            continue
        if response.status_code != 200:
            result.errors.append(f"{url}: {response.status_code}")
            continue
        if response.mimetype != "text/html":
            continue
        result.pages.append(url)
        parser = _Text()
        parser.feed(response.get_data(as_text=True))
        result.findings.extend(check(url, parser.nodes))
        for href in parser.links:
            target = _same_site(href)
            if target is None:
                continue
            key = pattern(target)
            if seen[key] < per_pattern and target not in queued:
                seen[key] += 1
                queued.add(target)
                queue.append(target)
    return result


def _english_runs(text: str) -> list[str]:
    """Runs of three or more English words in ``text`` that are not on the allowlist."""
    runs, current = [], []
    text = _EMAIL.sub(" ", text)
    # Words are separated by spaces (and a comma or full stop); anything else ends a run.
    for token in re.split(r"\s+", text):
        word = token.strip(",.;:!?()\"'“”‘’")
        if _WORD.fullmatch(word) and word.lower() not in ALLOWED_WORDS and len(word) > 1:
            current.append(word)
            if token.endswith((")", "：", "。")):
                runs.append(current)
                current = []
        else:
            if word.lower() in ("a", "an", "of", "to", "in", "the") and current:
                current.append(word)
                continue
            runs.append(current)
            current = []
    runs.append(current)
    return [" ".join(r) for r in runs if len(r) >= 3]


# Where the application writes its own words into the database (journal summaries, inbox texts,
# job results, computed evidence and notes): those are judged like page text, not taken as data.
MACHINE_TABLES = {
    "journal_entries",
    "notifications",
    "job_runs",
    "meter_readings",
    "apscheduler_jobs",
}
MACHINE_COLUMNS = {
    "evidence",
    "warnings",
    "models",
    "factor_notes",
    "factor_snapshot",
    "results",
    "stale_message",
    "summary",
    "data",
    "inputs",
    "outputs",
    "payload",
}


class Data:
    """What users and reference data put into the database (names, citations, comments): text a
    page shows as it was entered, in whatever language it was entered. Read from every text and
    JSON column, so the checks judge only the words the application itself says."""

    def __init__(self, strings: Iterable[str]) -> None:
        self._blob = "\n".join(s for s in strings if s)

    def __contains__(self, text: str) -> bool:
        return text in self._blob

    @classmethod
    def of_database(cls, engine) -> Data:
        from sqlalchemy import JSON, String, Text, inspect, select

        from emc.db import Base

        strings: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list | tuple):
                for v in value:
                    walk(v)

        tables = set(inspect(engine).get_table_names()) - MACHINE_TABLES
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                cols = [
                    c
                    for c in table.columns
                    if isinstance(c.type, String | Text | JSON) and c.name not in MACHINE_COLUMNS
                ]
                if table.name not in tables or not cols:
                    continue
                for row in conn.execute(select(*cols)):
                    for value in row:
                        walk(value)
        return cls(strings)


# Chinese that English pages use on purpose: the language switch, glosses of official words,
# the unit 万m³ and the currency sign 元 (the M&V interval's figures carry it in every language).
ALLOWED_CHINESE = {"中文", "基准值", "约束值", "引导值", "寒假", "暑假", "调休", "万", "元"}
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef·]+")


def _check_common(url, text, enum_values, allowed_values, found, short_only):
    # "None" alone is a repr on a Chinese page; on an English one it is also a word (a choice).
    if any(r in text for r in _REPRS) or (short_only and text == "None"):
        found.append(Finding(url, "repr", text))
    for token in re.split(r"[\s,，、;；:：()（）/·|“”\"]+", text):
        alone = len(text) <= SHORT_TEXT if short_only else token == text
        if token in enum_values and token not in allowed_values and ("_" in token or alone):
            found.append(Finding(url, "raw enum", f"{token} in {text!r}"))


Check = Callable[[str, list[tuple[str, str]]], list[Finding]]


def _checker(enum_values, data, allowed, *, chinese: bool) -> Check:
    def check(url: str, nodes: list[tuple[str, str]]) -> list[Finding]:
        found: list[Finding] = []
        page_allowed = (allowed or {}).get(pattern(url), set())
        for tag, text in nodes:
            if tag in ("code", "pre", "kbd", "samp"):
                continue
            _check_common(url, text, enum_values, page_allowed, found, short_only=chinese)
            if chinese:
                for run in _english_runs(text):
                    if run not in data and text not in data:
                        found.append(Finding(url, "English", run))
                continue
            for run in _CJK_RUN.findall(text):
                run = run.strip("（）：、，·；。")
                if (
                    _CJK.search(run)
                    and run not in ALLOWED_CHINESE | page_allowed
                    and run not in data
                ):
                    found.append(Finding(url, "Chinese", f"{run} in {text!r}"))
        return found

    return check


def chinese_checker(
    enum_values: set[str], data: Data, allowed: dict[str, set[str]] | None = None
) -> Check:
    """The zh_CN checks: raw enum values, Python reprs, English sentences (that are not data).
    ``allowed``: URL pattern → words that page may show as they are (a file format's)."""
    return _checker(enum_values, data, allowed, chinese=True)


def english_checker(
    enum_values: set[str], data: Data, allowed: dict[str, set[str]] | None = None
) -> Check:
    """The en checks: raw enum values, Python reprs, Chinese that is not data (a name, a
    citation, a comment as entered)."""
    return _checker(enum_values, data, allowed, chinese=False)
