"""What a delivery file really is, and the text encoding it really has.

Agencies' systems change under them: a council system upgrade starts exporting UTF-8 where the feed is specified
as cp1252, an export wizard saves UTF-16 ("Unicode text") or gzips the file. Decoding by the spec alone is silent
about all of these, and a UTF-8 file decoded as cp1252 loads every accented name garbled (``Zoë`` becomes ``ZoÃ«``),
which breaks linkage and name de-identification alike. So the bytes decide:

- A file that is not text at all (gzip, zip, bzip2, xz, 7z, PDF, an Excel workbook, parquet) or is UTF-16/UTF-32 is
  held whole, with a reason that names what it is (:func:`sniff_file_kind`).
- A UTF-8 byte-order mark, or strict UTF-8 validity, says UTF-8: a file that decodes as UTF-8 without error and
  holds non-ASCII characters is UTF-8, whatever the feed declares, because text in a single-byte encoding such as
  cp1252 is almost never valid UTF-8 by accident (every byte above 127 would have to fall in a valid multi-byte
  sequence: an accented capital followed by the right symbols). It is decoded as UTF-8 with a warning.
- A file that is not valid UTF-8 but whose lines are partly valid UTF-8 (with non-ASCII) and partly not is two
  encodings stitched together: no single encoding fits, and the file is held whole.
- Otherwise the declared single-byte encoding, then cp1252, is tried; a decoding that yields C1 control characters
  (which latin-1 makes of cp1252's curly quotes and euro signs) does not fit. When nothing fits, the file is held.

Messages name the file and the encodings, never a value.
"""

from __future__ import annotations

import bz2
import codecs
import io
import lzma
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from pipelines.ingest.errors import Alert, DeliveryRejected

UTF8_BOM = b"\xef\xbb\xbf"
# Lines of each kind needed before a file not valid as UTF-8 is called a mix of two encodings: one UTF-8-looking
# line in a single-byte file can be an accident (an accented capital before a curly quote), two are not.
MIXED_MIN_UTF8_LINES = 2
SNIFF_BYTES = 4096
MAX_INNER_BYTES = 512 * 1024 * 1024  # decompressed only to count the rows a held file holds

# (magic bytes, reason code, what the file is)
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "gzip_file", "gzip-compressed data"),
    (b"PK\x03\x04", "zip_file", "a zip archive (an .xlsx workbook is one)"),
    (b"PK\x05\x06", "zip_file", "an empty zip archive"),
    (b"BZh", "bzip2_file", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz_file", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "7z_file", "a 7-Zip archive"),
    (b"%PDF-", "pdf_file", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "excel_file", "an Excel 97-2003 workbook (OLE2)"),
    (b"PAR1", "parquet_file", "a parquet file"),
)
_TEXT_BOMS: tuple[tuple[bytes, str, str], ...] = (  # longest first: the UTF-32-LE mark starts with UTF-16-LE's
    (b"\xff\xfe\x00\x00", "utf32_file", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf32_file", "utf-32-be"),
    (b"\xff\xfe", "utf16_file", "utf-16-le"),
    (b"\xfe\xff", "utf16_file", "utf-16-be"),
)
_C1 = re.compile("[\x80-\x9f]")


@dataclass(frozen=True)
class FileKind:
    """A delivery that is not text in a single-byte or UTF-8 encoding."""

    reason: str  # stable code, e.g. gzip_file
    what: str  # e.g. "gzip-compressed data"
    text_encoding: str | None = None  # for UTF-16/32 text: the codec that reads it


def sniff_file_kind(data: bytes) -> FileKind | None:
    """What the file is, when it is not plain text: by its magic bytes, byte-order mark or NUL pattern."""
    for magic, reason, what in _MAGIC:
        if data.startswith(magic):
            if reason == "bzip2_file" and not (len(data) > 3 and data[3:4].isdigit()):
                continue
            return FileKind(reason, what)
    for bom, reason, codec in _TEXT_BOMS:
        if data.startswith(bom):
            return FileKind(reason, f"{codec.upper()} text (with a byte-order mark)", codec)
    codec = _utf16_without_bom(data[:SNIFF_BYTES])
    if codec is not None:
        return FileKind("utf16_file", f"{codec.upper()} text (no byte-order mark)", codec)
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text of mostly ASCII characters has a NUL in every other byte: at odd offsets (LE) or even (BE)."""
    pairs = len(head) // 2
    if pairs < 8:
        return None
    even_nul = sum(1 for i in range(0, pairs * 2, 2) if head[i] == 0)
    odd_nul = sum(1 for i in range(1, pairs * 2, 2) if head[i] == 0)
    if odd_nul >= 0.6 * pairs and even_nul <= 0.05 * pairs:
        return "utf-16-le"
    if even_nul >= 0.6 * pairs and odd_nul <= 0.05 * pairs:
        return "utf-16-be"
    return None


def inner_text(data: bytes, kind: FileKind) -> str | None:
    """The text inside a held non-text file, where it can be had cheaply (to count its rows), else None."""
    try:
        if kind.text_encoding is not None:
            return data.decode(kind.text_encoding, errors="replace").lstrip("\ufeff")
        inner: bytes | None = None
        if kind.reason == "gzip_file":
            inner = zlib.decompressobj(wbits=47).decompress(data, MAX_INNER_BYTES)
        elif kind.reason == "bzip2_file":
            inner = bz2.BZ2Decompressor().decompress(data, MAX_INNER_BYTES)
        elif kind.reason == "xz_file":
            inner = lzma.LZMADecompressor().decompress(data, MAX_INNER_BYTES)
        elif kind.reason == "zip_file":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if len(members) == 1 and members[0].file_size <= MAX_INNER_BYTES:
                    inner = archive.read(members[0])
        if inner is None or len(inner) >= MAX_INNER_BYTES:
            return None
        return inner.decode("latin-1")  # row boundaries are ASCII in every encoding we accept
    except (
        OSError,
        EOFError,
        ValueError,
        zlib.error,
        lzma.LZMAError,
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,  # a password-protected zip member (its message names the member)
        struct.error,  # a zip whose headers are cut short (defensive: not seen yet)
    ):
        return None


@dataclass
class Decoded:
    text: str
    encoding: str  # the codec the text was decoded with
    notes: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def _codec(name: str) -> str:
    return codecs.lookup(name).name


def _is_utf8(name: str) -> bool:
    return _codec(name) in {"utf-8", "utf-8-sig"}


def _fits(text: str) -> bool:
    """Text, not a misreading: no C1 control characters (U+0080-U+009F), which latin-1 makes of cp1252's curly
    quotes, dashes and euro signs. (C0 controls decode alike in every candidate encoding, so they tell nothing.)"""
    return _C1.search(text) is None


def _line_kinds(data: bytes) -> tuple[int, int]:
    """(lines that are valid UTF-8 with non-ASCII bytes, lines that are not valid UTF-8)."""
    utf8, other = 0, 0
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other += 1
        else:
            utf8 += 1
    return utf8, other


def decode_delivery(data: bytes, declared: str, where: str) -> Decoded:
    """Decode a delivery by the encoding its bytes show; warn when that is not the declared one.

    Raises :class:`DeliveryRejected` (``mixed_encoding`` or ``undecodable``, rows not yet counted) when no single
    encoding fits.
    """
    declared_name = _codec(declared)
    notes: list[str] = []
    alerts: list[Alert] = []
    body = data
    if data.startswith(UTF8_BOM):
        body = data[len(UTF8_BOM) :]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            notes.append("utf-8 byte-order mark present, but the file is not valid UTF-8")
        else:
            # a byte-order mark says UTF-8, whatever the feed usually sends
            notes.append("utf-8 byte-order mark removed")
            if not _is_utf8(declared):
                alerts.append(_mismatch(where, declared_name, "UTF-8 (with a byte-order mark)"))
            return Decoded(text, "utf-8", notes, alerts)
    if body.isascii():
        return Decoded(body.decode("ascii"), declared_name, notes, alerts)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if not _is_utf8(declared):
            alerts.append(_mismatch(where, declared_name, "UTF-8"))
        return Decoded(text, "utf-8", notes, alerts)
    utf8_lines, other_lines = _line_kinds(body)
    if utf8_lines >= MIXED_MIN_UTF8_LINES and other_lines:
        raise DeliveryRejected(
            "mixed_encoding",
            f"{where}: no single encoding fits: {utf8_lines} line(s) are UTF-8 and {other_lines} line(s) are not "
            f"(two encodings in one file?); held whole: ask the agency to re-send it in {declared_name}",
        )
    candidates = [c for c in dict.fromkeys([declared_name, "cp1252"]) if not _is_utf8(c)]
    for candidate in candidates:
        try:
            text = body.decode(candidate)
        except UnicodeDecodeError:
            continue
        if not _fits(text):
            continue
        if candidate != declared_name:
            alerts.append(_mismatch(where, declared_name, candidate))
        return Decoded(text, candidate, notes, alerts)
    tried = " nor ".join(dict.fromkeys([declared_name, "utf-8", *candidates]))
    raise DeliveryRejected(
        "undecodable",
        f"{where}: no encoding fits: neither {tried} decodes it as text; held whole: ask the agency which "
        f"encoding it exported (the feed declares {declared_name})",
    )


def _mismatch(where: str, declared: str, actual: str) -> Alert:
    return Alert(
        "encoding_mismatch",
        f"{where}: the feed declares {declared}, but the file is {actual}: decoded as {actual.split(' ')[0]}; "
        f"check whether the agency's system changed, and update the feed spec if it did",
    )
