"""The bytes decide what a delivery is and which encoding it has; the spec's encoding is only the default."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from pathlib import Path

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.encoding import decode_delivery, inner_text, sniff_file_kind
from pipelines.ingest.errors import DeliveryRejected
from pipelines.ingest.reader import read_delivery
from tests.feed_rows import rows, write_delivery

OTHERS = tuple(FEED_SPECS.values())
POLICE = FEED_SPECS["police_incidents"]  # utf-8
COUNCIL = FEED_SPECS["council_contacts"]  # cp1252
TEXT = "CaseRef,ClientName\r\nR1,Zoë Brontë\r\nR2,Renée Ó Súilleabháin\r\n"


def _zip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("extract.csv", data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "reason", "what"),
    [
        (lambda b: gzip.compress(b), "gzip_file", "gzip"),
        (_zip, "zip_file", "zip"),
        (lambda b: bz2.compress(b), "bzip2_file", "bzip2"),
        (lambda b: lzma.compress(b), "xz_file", "xz"),
        (lambda b: b"\xff\xfe" + b.decode().encode("utf-16-le"), "utf16_file", "UTF-16-LE"),
        (lambda b: b"\xfe\xff" + b.decode().encode("utf-16-be"), "utf16_file", "UTF-16-BE"),
        (lambda b: b.decode().encode("utf-16-le"), "utf16_file", "no byte-order mark"),
        (lambda b: b"\xff\xfe\x00\x00" + b.decode().encode("utf-32-le"), "utf32_file", "UTF-32-LE"),
        (lambda b: b"%PDF-1.7\n" + b, "pdf_file", "PDF"),
        (lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b, "excel_file", "Excel"),
    ],
)
def test_a_file_that_is_not_delimited_text_is_held_naming_what_it_is(make, reason, what, tmp_path: Path) -> None:
    path = write_delivery(POLICE, tmp_path, n=6)
    path.write_bytes(make(path.read_bytes()))
    kind = sniff_file_kind(path.read_bytes())
    assert kind is not None and kind.reason == reason and what in kind.what
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(POLICE, path, OTHERS)
    assert err.value.reason == reason
    assert "NUL" not in err.value.message and path.name in err.value.message
    if reason not in ("pdf_file", "excel_file"):  # what is inside can be counted: the rows it holds
        assert err.value.rows == 6


def test_text_with_nul_bytes_in_a_field_is_still_text() -> None:
    data = b"A,B\r\n1,ab\x00\x00cd\r\n2,x\r\n"
    assert sniff_file_kind(data) is None
    assert inner_text(gzip.compress(data), sniff_file_kind(gzip.compress(data))) == data.decode()  # type: ignore[arg-type]


def test_a_utf8_file_for_a_cp1252_feed_is_decoded_as_utf8_with_a_warning_naming_file_and_encodings() -> None:
    decoded = decode_delivery(TEXT.encode("utf-8"), "cp1252", "council_contacts/LA_CONTACTS_2024-03.csv")
    assert decoded.text == TEXT and decoded.encoding == "utf-8"
    assert [a.code for a in decoded.alerts] == ["encoding_mismatch"]
    message = decoded.alerts[0].message
    assert "LA_CONTACTS_2024-03.csv" in message and "cp1252" in message and "UTF-8" in message
    assert "Zo" not in message and "Bront" not in message  # never a value


def test_a_cp1252_file_for_a_utf8_feed_is_decoded_as_cp1252_with_a_warning() -> None:
    decoded = decode_delivery(TEXT.encode("cp1252"), "utf-8", "police_incidents/CAD_EXPORT_2024-03.csv")
    assert decoded.text == TEXT and decoded.encoding == "cp1252"
    assert [a.code for a in decoded.alerts] == ["encoding_mismatch"]


def test_the_declared_encoding_is_used_silently_when_it_fits() -> None:
    for declared, data in (("cp1252", TEXT.encode("cp1252")), ("utf-8", TEXT.encode("utf-8"))):
        decoded = decode_delivery(data, declared, "x")
        assert decoded.text == TEXT and decoded.alerts == []
    ascii_only = decode_delivery(b"A,B\r\n1,2\r\n", "cp1252", "x")
    assert ascii_only.alerts == [] and ascii_only.text == "A,B\r\n1,2\r\n"


def test_a_byte_order_mark_says_utf8() -> None:
    decoded = decode_delivery(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "cp1252", "x")
    assert decoded.text == TEXT and any("byte-order mark" in n for n in decoded.notes)
    assert [a.code for a in decoded.alerts] == ["encoding_mismatch"]
    assert decode_delivery(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8", "x").alerts == []


def test_latin1_declared_but_cp1252_curly_quotes_sent_is_read_as_cp1252() -> None:
    data = "A,B\r\n1,O\u2019Brien \u20ac5\r\n".encode("cp1252")  # bytes 0x92 and 0x80: C1 controls in latin-1
    decoded = decode_delivery(data, "latin-1", "x")
    assert decoded.encoding == "cp1252" and "O\u2019Brien" in decoded.text


def test_two_encodings_in_one_file_are_held_whole() -> None:
    data = b"A,B\r\n" + "1,Zoë\r\n".encode() + "2,Chloë\r\n".encode() + "3,Renée\r\n".encode("cp1252")
    with pytest.raises(DeliveryRejected) as err:
        decode_delivery(data, "utf-8", "police_incidents/CAD_EXPORT_2024-03.csv")
    assert err.value.reason == "mixed_encoding" and "2 line(s) are UTF-8 and 1 line(s) are not" in err.value.message


def test_one_utf8_looking_line_in_a_cp1252_file_is_an_accident_not_a_mix() -> None:
    # "Ö" then a curly quote in cp1252 is also a valid two-byte UTF-8 sequence
    data = "A,B\r\n1,J\u00d6\u2019S\r\n2,Ren\u00e9e\r\n".encode("cp1252")
    decoded = decode_delivery(data, "cp1252", "x")
    assert decoded.encoding == "cp1252" and "J\u00d6\u2019S" in decoded.text


def test_a_file_no_encoding_fits_is_held_whole(tmp_path: Path) -> None:
    body = rows(POLICE, 3)
    body[0][POLICE.column_names.index("SUBJECT_SURNAME")] = "M\u00fcller"  # 0x81 in cp850: undefined in cp1252
    path = write_delivery(POLICE, tmp_path, body=body, encoding="cp850")
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(POLICE, path, OTHERS)
    assert err.value.reason == "undecodable" and err.value.rows == 3
    assert "utf-8" in err.value.message and "cp1252" in err.value.message


def test_a_utf8_delivery_of_a_cp1252_feed_loads_accented_names_intact(tmp_path: Path) -> None:
    body = rows(COUNCIL, 3)
    body[1][COUNCIL.column_names.index("ClientName")] = "Zoë Ó Súilleabháin"
    path = write_delivery(COUNCIL, tmp_path, body=body, encoding="utf-8")
    delivery = read_delivery(COUNCIL, path, OTHERS)
    assert delivery.accepted["ClientName"].iloc[1] == "Zoë Ó Súilleabháin"
    assert [a.code for a in delivery.alerts] == ["encoding_mismatch"]
    assert path.name in delivery.alerts[0].message
