"""Leak scanning: look for identifiers where none should be (the warehouse, reports, docs, Dagster's storage, logs).

Two kinds of evidence:

- pattern families, kept strict so that a de-identified warehouse scans clean: NHS numbers that pass the modulus-11
  check (English ranges, first digit 4-9), postcodes of the BS 7666 shape, UK phone numbers, emails, National
  Insurance numbers, and dates written next to "born", "DOB" or "date of birth";
- known values (for example every identifier the synthetic county planted), matched case-insensitively, names as
  whole words. A name that is also an everyday word ("Will", "Hope") is matched only with its own capitalisation.

Readers: parquet, DuckDB (every table and column), SQLite (incl. Dagster's run and event storage), CSV/TSV,
JSON/JSONL, HTML, gzip, and any other file as text (binary files: their printable strings, so a pickled frame in
Dagster's storage is searched too). Findings name the file, the table/column or line, and the entity type; the value
itself is only ever shown masked.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import html
import io
import json
import logging
import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.privacy import lexicons
from pipelines.privacy.names import fold_token
from pipelines.privacy.normalise import POSTCODE_INWARD, POSTCODE_OUTWARD, nhs_number_is_valid, normalise_postcode
from pipelines.privacy.recognizers import find_compact_dates, find_dates

logger = logging.getLogger(__name__)

MAX_TEXT_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    """One identifier found where it should not be. ``masked`` never holds the full value."""

    path: str
    location: str  # "table.column row N", "line N", "$.key[3]"
    entity_type: str
    source: str  # "pattern" or "known"
    masked: str


@dataclass(frozen=True)
class ScanError:
    path: str
    reason: str


def mask_value(value: str) -> str:
    """Enough of a value to recognise it while checking a report, not enough to reuse it."""
    value = value.strip()
    if len(value) <= 3:
        return "*" * len(value)
    keep = 1 if len(value) < 8 else 2
    return value[:keep] + "*" * (len(value) - keep - 1) + value[-1]


# --------------------------------------------------------------------------------------------------------------
# pattern families (strict variants for scanning)

_NHS = re.compile(r"(?<![\w.])[4-9]\d{2}([ \-]?)\d{3}\1\d{4}(?![\w]|\.\d)")
_POSTCODE = re.compile(rf"(?<![\w])(?:{POSTCODE_OUTWARD}) ?(?:{POSTCODE_INWARD})(?![\w])")
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d\.)"  # not inside a word, nor the fraction of a decimal ("10411.08594400066")
    r"(?:\+44\s?(?:\(0\)\s?)?|0)(?:[1-3]\d{2,4}|7\d{3}|[58]\d{2,3})[ \-]?\d{3,4}[ \-]?\d{3,4}(?![\w]|\.\d)"
)
_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
_NI = re.compile(
    r"(?<![\w])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w])"
)
_DOB_CONTEXT = re.compile(r"\b(?:born|d\.?o\.?b|date[ _]of[ _]birth|birth[ _]?date)\b", re.IGNORECASE)


def _phone_digits_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("44"):
        digits = "0" + digits[2:].lstrip("0")
    return len(digits) in (10, 11) and digits.startswith("0")


def pattern_hits(text: str) -> Iterator[tuple[str, str]]:
    """(entity type, matched text) for every strict pattern hit in ``text``."""
    for m in _NHS.finditer(text):
        if nhs_number_is_valid(m.group()):
            yield "NHS_NUMBER", m.group()
    for m in _POSTCODE.finditer(text):
        if normalise_postcode(m.group()):
            yield "UK_POSTCODE", m.group()
    for m in _PHONE.finditer(text):
        if _phone_digits_ok(m.group()):
            yield "PHONE_NUMBER", m.group()
    for m in _EMAIL.finditer(text):
        yield "EMAIL_ADDRESS", m.group()
    for m in _NI.finditer(text):
        yield "NI_NUMBER", m.group()
    if _DOB_CONTEXT.search(text):
        for start, end, _value in find_dates(text) + find_compact_dates(text):
            if _dob_context_near(text, start, end):
                yield "DATE_OF_BIRTH", text[start:end]


# --------------------------------------------------------------------------------------------------------------
# known values

_NAME_TYPES = {"person", "name", "given_name", "family_name", "full_name", "first_name", "surname", "last_name"}
_DIGIT_TYPES = {"nhs_number", "phone", "phone_number", "telephone", "mobile"}
_WORDS = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_DIGIT_RUN = re.compile(r"(?<![\w])\+?\d[\d \-().]{5,20}\d(?![\w])")
_LOOSE_POSTCODE = re.compile(r"(?<![\w])[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}(?![\w])")
_ADDRESS_START = re.compile(r"\b\d{1,4}[a-z]? [a-z]+(?: [a-z]+){0,5}")
_LOOSE_NI = re.compile(r"(?<![\w])[A-Za-z]{2}[ .\-]?\d{2}[ .\-]?\d{2}[ .\-]?\d{2}(?:[ .\-]?[A-Da-d])?(?![\w])")
_LITERAL_WORD = re.compile(r"[^\W_]+")
_ADDRESS_PROBE = re.compile(r"\d[A-Za-z]?\W+[A-Za-z]")
_ANY_DIGIT = re.compile(r"\d")


def _norm_space(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


class KnownValues:
    """Known identifier values, indexed for fast whole-word / normalised lookup."""

    def __init__(self, pairs: Iterable[tuple[str, str]], dates_need_context: bool = False) -> None:
        """``dates_need_context``: a known date of birth counts only beside "born", "DOB" or "date of birth" (for a
        large truth, where some birthday equals a date in a config file or a code list by chance)."""
        self.dates_need_context = dates_need_context
        self.names: dict[tuple[str, ...], str] = {}  # folded word sequence -> entity
        self.exact_names: dict[str, str] = {}  # everyday-word names: exact capitalisation -> entity
        self.digits: dict[str, str] = {}
        self.postcodes: dict[str, str] = {}
        self.emails: dict[str, str] = {}
        self.dates: dict[str, str] = {}
        self.addresses: dict[str, str] = {}
        self.literals: dict[str, str] = {}
        self.ni_numbers: dict[str, str] = {}
        # each literal under its longest word: a text is only tested against literals whose word it contains
        self._literal_probes: dict[str, list[tuple[str, str]]] = {}
        self.max_name_words = 1
        self._any: bool | None = None
        self._name_first: set[str] = set()  # the first word of every known name: most words start none
        words = lexicons.english_words()
        for entity, value in pairs:
            entity = (entity or "").strip()
            value = (value or "").strip()
            kind = entity.lower()
            if not value:
                continue
            if kind in _NAME_TYPES:
                parts = tuple(fold_token(w) for w in _WORDS.findall(value))
                if not parts or (len(parts) == 1 and len(parts[0]) < 3):
                    continue
                if len(parts) == 1 and parts[0] in words and parts[0] not in lexicons.NAMES_DESPITE_DICTIONARY:
                    self.exact_names[value] = entity
                    continue
                self.names[parts] = entity
                self._name_first.add(parts[0])
                self.max_name_words = max(self.max_name_words, len(parts))
            elif kind in _DIGIT_TYPES:
                digits = re.sub(r"\D", "", value)
                if digits.startswith("44") and kind != "nhs_number":
                    digits = "0" + digits[2:].lstrip("0")
                if len(digits) >= 6:
                    self.digits[digits] = entity
            elif kind in {"postcode", "uk_postcode"}:
                self.postcodes[re.sub(r"\s+", "", value).upper()] = entity
            elif kind in {"email", "email_address"}:
                self.emails[value.lower()] = entity
            elif kind in {"date_of_birth", "dob"}:
                found = find_dates(value) or [(0, 0, _iso(value))]
                if found[0][2] is not None:
                    self.dates[str(found[0][2])] = entity
            elif kind in {"address", "street_address"}:
                first = _norm_space(value.split(",")[0] if re.match(r"^\s*\d", value) else value.split(",")[-1])
                for part in [_norm_space(p) for p in value.split(",")] + [first]:
                    if re.match(r"^\d{1,4}[a-z]? [a-z]+", part):
                        self.addresses[part] = entity
            elif kind in {"ni_number", "nino", "national_insurance_number"}:
                ni = re.sub(r"[\s.\-]+", "", value).upper()
                if len(ni) >= 8:
                    self.ni_numbers[ni] = entity
                    self.ni_numbers.setdefault(ni[:8], entity)  # written without its suffix letter
            elif len(value) >= 4:
                literal = value.lower()
                self.literals[literal] = entity
                probe = max(_LITERAL_WORD.findall(literal) or [literal], key=len)
                self._literal_probes.setdefault(probe, []).append((literal, entity))

    def __bool__(self) -> bool:
        if self._any is None:
            self._any = self._compute_any()
        return self._any

    def _compute_any(self) -> bool:
        return any(
            (
                self.names,
                self.exact_names,
                self.digits,
                self.postcodes,
                self.emails,
                self.dates,
                self.addresses,
                self.literals,
                self.ni_numbers,
            )
        )

    def hits(self, text: str) -> Iterator[tuple[str, str]]:
        if (self.names or self.exact_names) and not _TOKEN_LIKE.fullmatch(text):
            words = _WORDS.findall(text)
            fold = _FOLD_CACHE
            folded = [fold[w] if w in fold else _fold_cached(w) for w in words] if self.names else []
            first = self._name_first
            if not first.isdisjoint(folded):  # most texts hold no word that starts a known name
                matches = list(_WORDS.finditer(text))
                for i in range(len(matches)):
                    if folded[i] not in first:
                        continue
                    if _beside_digit(text, matches[i].start(), matches[i].end()):
                        continue  # letters inside a hex token or a code ("3fa9bead0") are no one's name
                    for width in range(1, self.max_name_words + 1):
                        key = tuple(folded[i : i + width])
                        if len(key) < width:
                            break
                        entity = self.names.get(key)
                        if entity:
                            yield entity, text[matches[i].start() : matches[i + width - 1].end()]
            if self.exact_names:
                for word in words:
                    entity = self.exact_names.get(word)
                    if entity:
                        yield entity, word
        has_digit = _ANY_DIGIT.search(text) is not None
        if self.digits and has_digit:
            for m in _DIGIT_RUN.finditer(text):
                digits = re.sub(r"\D", "", m.group())
                if digits.startswith("44") and m.group().lstrip().startswith("+"):
                    digits = "0" + digits[2:].lstrip("0")
                entity = self.digits.get(digits)
                if entity:
                    yield entity, m.group()
        if self.postcodes and has_digit:
            for m in _LOOSE_POSTCODE.finditer(text):
                entity = self.postcodes.get(re.sub(r"\s+", "", m.group()).upper())
                if entity:
                    yield entity, m.group()
        if self.ni_numbers and has_digit:
            for m in _LOOSE_NI.finditer(text):
                entity = self.ni_numbers.get(re.sub(r"[\s.\-]+", "", m.group()).upper())
                if entity:
                    yield entity, m.group()
        if self.emails and "@" in text:
            for m in _EMAIL.finditer(text):
                entity = self.emails.get(m.group().lower())
                if entity:
                    yield entity, m.group()
        if self.dates and has_digit:
            near = not self.dates_need_context or _DOB_CONTEXT.search(text) is not None
            for start, end, value in find_dates(text) if near else ():
                entity = self.dates.get(str(value))
                if entity and (not self.dates_need_context or _dob_context_near(text, start, end)):
                    yield entity, text[start:end]
            # compact forms (010285, 19850201) only where a date of birth is named: a bare six-digit number is
            # too often something else to be called one person's birthday
            if _DOB_CONTEXT.search(text):
                for start, end, value in find_compact_dates(text):
                    entity = self.dates.get(str(value))
                    if entity and _dob_context_near(text, start, end):
                        yield entity, text[start:end]
        if self.addresses and has_digit and _ADDRESS_PROBE.search(text):
            norm = _norm_space(text)
            for m in _ADDRESS_START.finditer(norm):
                words = m.group().split(" ")
                for width in range(2, len(words) + 1):
                    candidate = " ".join(words[:width])
                    entity = self.addresses.get(candidate)
                    if entity:
                        yield entity, candidate
        if self._literal_probes:
            lower = text.lower()
            for word in set(_LITERAL_WORD.findall(lower)):
                for value, entity in self._literal_probes.get(word, ()):
                    if value in lower:
                        yield entity, value


#: a cell that is one hex token, a number or a code holds no name (most cells of a pseudonymised table)
_TOKEN_LIKE = re.compile(r"[0-9a-fA-F\-]*|[0-9.,:\- +TZ]*")


def _beside_digit(text: str, start: int, end: int) -> bool:
    return (start > 0 and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit())


_FOLD_CACHE: dict[str, str] = {}


def _fold_cached(word: str) -> str:
    hit = _FOLD_CACHE.get(word)
    if hit is None:
        hit = fold_token(word)
        if len(_FOLD_CACHE) < 500_000:
            _FOLD_CACHE[word] = hit
    return hit


def _dob_context_near(text: str, start: int, end: int) -> bool:
    window = text[max(0, start - 30) : start] + " " + text[end : end + 15]
    return _DOB_CONTEXT.search(window) is not None


def _iso(value: str):
    from datetime import date

    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def load_known_values(path: Path) -> list[tuple[str, str]]:
    """Rows of a CSV with columns ``entity_type,value`` (other columns ignored)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"entity_type", "value"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: known-values CSV needs columns entity_type,value")
        return [(row["entity_type"], row["value"]) for row in reader if row.get("value")]


# --------------------------------------------------------------------------------------------------------------
# readers: each yields (location, text)

_TEXT_SUFFIXES = {".txt", ".log", ".md", ".out", ".err", ".yaml", ".yml", ".sql", ".toml", ".ini", ".cfg", ".xml"}


def _is_sqlite(head: bytes) -> bool:
    return head.startswith(b"SQLite format 3\x00")


def _is_duckdb(head: bytes) -> bool:
    return head[8:12] == b"DUCK"


def _is_parquet(head: bytes) -> bool:
    return head.startswith(b"PAR1")


def _read_parquet(path: Path) -> Iterator[tuple[str, str]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for name in table.column_names:
        column = table.column(name)
        for i, value in enumerate(column.to_pylist()):
            if value is None:
                continue
            yield f"{name} row {i}", value if isinstance(value, str) else str(value)
    yield "(schema)", " ".join(table.column_names)


#: base tables only: a view has no rowid (information_schema lists views too, and reading one failed the whole file);
#: a view's rows come from tables scanned already, and its definition is scanned as text
_DUCKDB_TABLES = (
    "select table_schema, table_name from information_schema.tables"
    " where table_catalog = current_database() and table_type = 'BASE TABLE'"
)


def _duckdb_parts(path: Path) -> list[tuple[tuple[str, ...], int]]:
    """What of a DuckDB file can be scanned apart, with a rough cost: each table (rows x columns), then the views.

    In the order :func:`_read_duckdb` reads them, so findings come out in the same order either way.
    """
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(_DUCKDB_TABLES).fetchall()
        sizes = {
            (schema, table): max(int(rows or 0), 1) * max(int(columns or 0), 1)
            for schema, table, rows, columns in con.execute(
                "select schema_name, table_name, estimated_size, column_count from duckdb_tables()"
                " where database_name = current_database()"
            ).fetchall()
        }
    finally:
        con.close()
    parts: list[tuple[tuple[str, ...], int]] = [(("table", s, t), sizes.get((s, t), 1)) for s, t in tables]
    return [*parts, (("views",), 1)]


def _read_duckdb(path: Path, parts: Sequence[tuple[str, ...]] | None = None) -> Iterator[tuple[str, str]]:
    """Every table's distinct values and every view's definition; ``parts`` (from :func:`_duckdb_parts`): only those."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        if parts is None:
            tables = con.execute(_DUCKDB_TABLES).fetchall()
            views = True
        else:
            tables = [(p[1], p[2]) for p in parts if p[0] == "table"]
            views = any(p[0] == "views" for p in parts)
        for schema, table in tables:
            columns = con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchall()
            for (column,) in columns:
                # each distinct value once, located at its first row: a mart of millions of rows repeats a few
                # thousand keys and codes, and what a finding needs is the table, column and one row
                query = (
                    f'select cast("{column}" as varchar) as v, min(rowid) as first_row from "{schema}"."{table}" '
                    f'where "{column}" is not null group by v order by first_row'
                )
                cursor = con.execute(query)
                where = f"{schema}.{table}.{column} row "
                while True:
                    batch = cursor.fetchmany(10_000)
                    if not batch:
                        break
                    for value, first_row in batch:
                        yield f"{where}{first_row}", value
        if views:
            for schema, view, sql in con.execute(
                "select schema_name, view_name, sql from duckdb_views()"
                " where not internal and database_name = current_database()"
            ).fetchall():
                yield f"{schema}.{view} (view definition)", sql or ""
    finally:
        con.close()


def _read_sqlite(path: Path) -> Iterator[tuple[str, str]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            columns = [r[1] for r in con.execute(f'pragma table_info("{table}")')]
            for column in columns:
                cursor = con.execute(f'select "{column}" from "{table}" where "{column}" is not null')
                for i, (value,) in enumerate(cursor):
                    where = f"{table}.{column} row {i}"
                    if isinstance(value, bytes):
                        yield from ((f"{where} {at}", text) for at, text in _blob_texts(value))
                    else:
                        yield where, str(value)
    finally:
        con.close()


def _blob_texts(blob: bytes) -> Iterator[tuple[str, str]]:
    """A BLOB's text: zlib-compressed (Dagster's run snapshots) is unpacked first; other binary yields only its
    printable runs, so compressed bytes decoded as text cannot fake an e-mail address or postcode."""
    with contextlib.suppress(zlib.error):
        blob = zlib.decompress(blob)
    try:
        yield "", blob.decode("utf-8")
    except UnicodeDecodeError:
        yield from _read_binary_strings(blob)


def _read_csv(path: Path, text: str) -> Iterator[tuple[str, str]]:
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    header: list[str] = []
    for i, row in enumerate(reader):
        if i == 0:
            header = row
            yield "header", " ".join(row)
            continue
        for j, value in enumerate(row):
            if value:
                column = header[j] if j < len(header) else f"column {j + 1}"
                yield f"line {i + 1} column {column}", value


def _walk_json(value: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{where} (key)", str(key)
            yield from _walk_json(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_json(item, f"{where}[{i}]")
    elif value is not None:
        yield where, str(value)


def _read_json(text: str) -> Iterator[tuple[str, str]]:
    yield from _walk_json(json.loads(text), "$")


def _read_jsonl(text: str) -> Iterator[tuple[str, str]]:
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            yield from _walk_json(json.loads(line), f"line {i + 1} $")
        except json.JSONDecodeError:
            yield f"line {i + 1}", line


_TAG = re.compile(r"<[^>]+>")


def _read_lines(text: str) -> Iterator[tuple[str, str]]:
    for i, line in enumerate(text.splitlines()):
        if line.strip():
            yield f"line {i + 1}", line


def _read_html(text: str) -> Iterator[tuple[str, str]]:
    for i, line in enumerate(text.splitlines()):
        plain = html.unescape(_TAG.sub(" ", line))
        if plain.strip():
            yield f"line {i + 1}", plain
        # values hidden in attributes (data-value="...") are searched too
        if "=" in line:
            yield f"line {i + 1} (markup)", html.unescape(line)


_PRINTABLE = re.compile(rb"[\x20-\x7e\t]{6,}")


def _read_binary_strings(data: bytes) -> Iterator[tuple[str, str]]:
    for m in _PRINTABLE.finditer(data):
        yield f"byte {m.start()}", m.group().decode("ascii")
    # UTF-8 strings with accents (pickled names)
    for m in re.finditer(rb"(?:[\x20-\x7e]|[\xc2-\xf4][\x80-\xbf]{1,3}){6,}", data):
        chunk = m.group()
        if any(b > 0x7E for b in chunk):
            yield f"byte {m.start()}", chunk.decode("utf-8", errors="ignore")


def _decode(data: bytes) -> str | None:
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("latin-1") if data[:4096].count(b"\x00") == 0 else None
        except UnicodeDecodeError:
            return None


def iter_file(path: Path, parts: Sequence[tuple[str, ...]] | None = None) -> Iterator[tuple[str, str]]:
    """Every (location, text) to search in one file, by file type (``parts``: of a DuckDB file, only those)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if _is_sqlite(head):
        yield from _read_sqlite(path)
        return
    if _is_duckdb(head):
        yield from _read_duckdb(path, parts)
        return
    if _is_parquet(head):
        yield from _read_parquet(path)
        return
    if path.stat().st_size > MAX_TEXT_FILE_BYTES:
        raise ValueError(f"larger than {MAX_TEXT_FILE_BYTES // (1024 * 1024)} MB: not read")
    data = path.read_bytes()
    if head.startswith(b"\x1f\x8b"):
        data = gzip.decompress(data)
    text = _decode(data)
    if text is None:
        yield from _read_binary_strings(data)
        return
    suffix = path.suffix.lower() if not path.name.endswith(".gz") else Path(path.stem).suffix.lower()
    if suffix in {".csv", ".tsv"}:
        yield from _read_csv(path, text)
    elif suffix == ".json":
        try:
            yield from _read_json(text)
        except json.JSONDecodeError:
            yield from _read_lines(text)
    elif suffix in {".jsonl", ".ndjson"}:
        yield from _read_jsonl(text)
    elif suffix in {".html", ".htm"}:
        yield from _read_html(text)
    else:
        yield from _read_lines(text)


def iter_files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.is_symlink():
                    yield child
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


# Fonts and images (GX Data Docs ship some) are binary assets our pipeline never writes data into: their byte
# soup matches pattern families by chance (a font's licence e-mail, "S1 2ED" inside a GIF). Known values are
# still searched in them; pattern families are not.
MEDIA_SUFFIXES = {".otf", ".ttf", ".woff", ".woff2", ".eot", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg"}


def scan_file(path: Path, known: KnownValues | None, patterns: bool = True) -> list[Finding]:
    return _scan_part(path, None, known, patterns, {})


#: texts whose hits are remembered per process: a value repeats down a parquet column and across the marts (a
#: person key in every fact table, the published warehouse inside the full build); hits depend on the text alone
_MEMO_ENTRIES = 1_000_000
_MEMO_TEXT_CHARS = 200


def _scan_part(
    path: Path,
    parts: Sequence[tuple[str, ...]] | None,
    known: KnownValues | None,
    patterns: bool,
    memo: dict[tuple[bool, str], tuple[tuple[str, str, str], ...]],
) -> list[Finding]:
    findings: list[Finding] = []
    if path.suffix.lower() in MEDIA_SUFFIXES:
        patterns = False
    seen: set[tuple[str, str, str]] = set()
    for location, text in iter_file(path, parts):
        if not text:
            continue
        key = (patterns, text)
        hits = memo.get(key)
        if hits is None:
            found: list[tuple[str, str, str]] = []
            if patterns:
                found.extend((entity, value, "pattern") for entity, value in pattern_hits(text))
            if known:
                found.extend((entity, value, "known") for entity, value in known.hits(text))
            hits = tuple(found)
            if len(text) <= _MEMO_TEXT_CHARS:
                if len(memo) >= _MEMO_ENTRIES:
                    memo.clear()
                memo[key] = hits
        for entity, value, source in hits:
            seen_key = (location, entity, value)
            if seen_key in seen:
                continue
            seen.add(seen_key)
            findings.append(Finding(str(path), location, entity, source, mask_value(value)))
    return findings


def _unreadable(path: Path, exc_type: str) -> ScanError:
    reason = f"{exc_type}: could not be read"  # the exception's type, never its message (it may quote a value)
    logger.warning("scan-pii: %s %s", path, reason)
    return ScanError(str(path), reason)


MAX_WORKERS = 4


def scan_workers() -> int:
    """Processes for a scan: one per core, capped; 1 where processes cannot be forked (the scan runs in-process)."""
    from pipelines.ops.workers import fork_workers

    return fork_workers(MAX_WORKERS)


def scan_paths(
    paths: Sequence[Path],
    known_values: Sequence[tuple[str, str]] | KnownValues = (),
    patterns: bool = True,
    errors: list[ScanError] | None = None,
    workers: int | None = None,
) -> list[Finding]:
    """Findings over every file under ``paths``. Unreadable files go to ``errors`` (if given) or raise.

    ``workers`` processes (default :func:`scan_workers`) scan the files, and the tables of a DuckDB file, apart; the
    findings are the same, in the same order, as in one process.
    """
    if isinstance(known_values, KnownValues):
        known: KnownValues | None = known_values if known_values else None
    else:
        known = KnownValues(known_values) if known_values else None
    files = list(iter_files([Path(p) for p in paths]))
    workers = scan_workers() if workers is None else max(1, min(workers, scan_workers()))
    if workers > 1 and len(files) > 1:
        return _scan_parallel(files, known, patterns, errors, workers)
    findings: list[Finding] = []
    memo: dict[tuple[bool, str], tuple[tuple[str, str, str], ...]] = {}
    for path in files:
        try:
            findings.extend(_scan_part(path, None, known, patterns, memo))
        except Exception as exc:  # a file we cannot read is not a clean file: report it, never swallow it
            error = _unreadable(path, type(exc).__name__)
            if errors is None:
                raise
            errors.append(error)
    return findings


# --------------------------------------------------------------------------------------------------------------
# the scan in worker processes (forked: each inherits the index of known values, built once)

_WORKER_STATE: tuple[KnownValues | None, bool] | None = None
_WORKER_MEMO: dict[tuple[bool, str], tuple[tuple[str, str, str], ...]] = {}

#: (the file's index, the part's index in the file, the file, its DuckDB parts or None: all of it)
_Unit = tuple[int, int, Path, tuple[tuple[str, ...], ...] | None]


def _worker_init() -> None:
    """Forked workers inherit the parent's signal handlers (Dagster's raise an interrupt error on SIGTERM, which
    the pool sends at shutdown): a worker just stops. Its memo starts empty."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER_MEMO.clear()


def _scan_task(task: tuple[_Unit, ...]) -> list[tuple[list[Finding], str | None]]:
    """Each unit's findings, or the type of the exception that stopped it (never its message: it may quote a value).

    A task's units run one after the other in one worker, so the hits of a table's values are remembered for its
    twin in the next DuckDB file (the published warehouse is a copy of the full build's published schemas).
    """
    state = _WORKER_STATE
    assert state is not None, "scan worker started without its state"
    out: list[tuple[list[Finding], str | None]] = []
    for _, _, path, parts in task:
        try:
            out.append((_scan_part(path, parts, state[0], state[1], _WORKER_MEMO), None))
        except Exception as exc:  # reported by the parent as the file's ScanError
            out.append(([], type(exc).__name__))
    return out


def _tasks(files: Sequence[Path]) -> tuple[list[tuple[_Unit, ...]], dict[int, str]]:
    """Tasks, costliest first: the same table (or the views) of every DuckDB file together, every other file alone.
    A DuckDB file whose tables cannot be listed is unreadable (its index -> the exception's type)."""
    groups: dict[tuple[str, ...], list[tuple[int, _Unit]]] = {}
    alone: list[tuple[int, tuple[_Unit, ...]]] = []
    failed: dict[int, str] = {}
    for i, path in enumerate(files):
        try:
            with path.open("rb") as handle:
                head = handle.read(16)
            if _is_duckdb(head):
                for j, (part, cost) in enumerate(_duckdb_parts(path)):
                    groups.setdefault(part, []).append((cost, (i, j, path, (part,))))
                continue
            size = path.stat().st_size
        except Exception as exc:
            failed[i] = type(exc).__name__
            continue
        alone.append((size, ((i, 0, path, None),)))
    costed = [(sum(c for c, _ in members), tuple(u for _, u in members)) for members in groups.values()] + alone
    costed.sort(key=lambda item: -item[0])  # stable: equal costs keep their file order
    return [task for _, task in costed], failed


def _scan_parallel(
    files: Sequence[Path], known: KnownValues | None, patterns: bool, errors: list[ScanError] | None, workers: int
) -> list[Finding]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _WORKER_STATE
    tasks, failed = _tasks(files)
    results: dict[int, list[tuple[int, list[Finding]]]] = {}  # file -> [(part's index, findings)]
    _WORKER_STATE = (known, patterns)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init) as pool:
            futures = [(task, pool.submit(_scan_task, task)) for task in tasks]
            for task, future in futures:
                try:
                    outcomes = future.result()
                except BrokenProcessPool:  # a worker was killed (most often by the out-of-memory killer)
                    outcomes = [([], "BrokenProcessPool")] * len(task)
                except Exception as exc:  # its result could not come back
                    outcomes = [([], type(exc).__name__)] * len(task)
                for (index, part, _, _), (found, error) in zip(task, outcomes, strict=True):
                    if error is not None:
                        failed.setdefault(index, error)
                    else:
                        results.setdefault(index, []).append((part, found))
    finally:
        _WORKER_STATE = None
    findings: list[Finding] = []
    for i, path in enumerate(files):
        if i in failed:
            error = _unreadable(path, failed[i])
            if errors is None:
                scan_file(path, known, patterns)  # raises what the one-process scan would have raised
                raise RuntimeError(f"scan-pii: {path}: {error.reason}")
            errors.append(error)
            continue
        for _, found in sorted(results.get(i, []), key=lambda item: item[0]):
            findings.extend(found)
    return findings


def write_report(findings: Sequence[Finding], errors: Sequence[ScanError], out: Path) -> None:
    """CSV report: one row per finding (masked value), then one row per unreadable file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "location", "entity_type", "source", "masked_value"])
        for f in findings:
            writer.writerow([f.path, f.location, f.entity_type, f.source, f.masked])
        for e in errors:
            writer.writerow([e.path, "", "UNREADABLE", "error", e.reason])
