"""Malformed deliveries for ``hfc synth --faults``: the files that break ingest in real life.

Each fault file sits beside the clean deliveries with a name that matches the feed's file pattern and
is listed in ``synth_truth/faults.csv`` with the outcome and reason ingest should reach (reason codes
follow ``pipelines.ingest``: the reader, its encoding and date checks, the loader's control totals, and
``landing.stray_files`` for a file that is not the folder's feed's). Fault files carry copies of clean
rows with new record ids, ending
``S<fault number>``, dated in the fault's own period; they are added to ``records.csv`` (identity
errors ``fault_copy``) so the truth still knows who they are.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import DType, FeedSpec


@dataclass(frozen=True)
class FaultKind:
    kind: str
    feed: str
    # reject_file (held whole, its rows counted) | quarantine_rows | load_with_note | load_with_warning (an alert
    # with the reason's code) | accept_empty (0 rows, with a no_rows alert) | skip_duplicate | supersede |
    # flag_stray_file (not loaded as the folder's feed; named as a stray file)
    outcome: str
    reason: str
    description: str


FAULT_KINDS: tuple[FaultKind, ...] = (
    FaultKind(
        "encoding_utf8_bom",
        "council_contacts",
        "load_with_note",
        "utf8_bom",
        "a council delivery (declared cp1252) sent as UTF-8 with a byte-order mark, with \u00a3 and accented "
        "names: the BOM says UTF-8, so decode it as UTF-8 (as cp1252 it would load garbled, \u00c2\u00a3)",
    ),
    FaultKind(
        "encoding_cp1252",
        "police_incidents",
        "load_with_note",
        "encoding_fallback",
        "a police delivery (declared UTF-8) sent in cp1252 with an accented name and a pound sign: not valid "
        "UTF-8, valid cp1252",
    ),
    FaultKind(
        "wrong_delimiter",
        "mh_contacts",
        "load_with_note",
        "delimiter",
        "a mental health trust delivery (declared semicolon) sent comma-delimited; the header fits only commas",
    ),
    FaultKind(
        "missing_column",
        "ambulance_calls",
        "reject_file",
        "missing_columns",
        "the required ChiefComplaint column is missing",
    ),
    FaultKind(
        "extra_column",
        "ed_attendances",
        "load_with_note",
        "unexpected_columns",
        "an extra column, EC_Attendance_Category, that the spec does not know",
    ),
    FaultKind(
        "renamed_column",
        "police_incidents",
        "reject_file",
        "missing_columns",
        "the required OPENING_CODE column renamed OPEN_CODE",
    ),
    FaultKind(
        "truncated_last_line",
        "mh_contacts",  # a feed with rows from the first month (the caseload has none until people are enrolled)
        "quarantine_rows",
        "field_count",
        "the transfer stopped part-way through the last row (no final newline)",
    ),
    FaultKind("empty_file", "feedback", "reject_file", "empty_file", "zero bytes"),
    FaultKind(
        "header_only",
        "mh_outcome_measures",
        "accept_empty",
        "no_rows",
        "a header and no rows: loaded as a delivery of 0 rows, with a warning that says so",
    ),
    FaultKind(
        "oversized_field",
        "police_incidents",
        "quarantine_rows",
        "field_too_long",
        "one narrative of 10 MB (10,485,760 characters)",
    ),
    FaultKind(
        "formula_injection",
        "council_contacts",
        "quarantine_rows",
        "formula_injection",
        "text fields starting =HYPERLINK(...), +cmd|, -2+3+cmd|, @SUM( (spreadsheet formula injection)",
    ),
    FaultKind(
        "mixed_date_formats",
        "ambulance_calls",
        "quarantine_rows",
        "invalid_datetime",
        "CallDateTime of one row in 15 in another format (dd/mm/yyyy HH:MM or dd-Mon-yyyy HH:MM:SS) beside the "
        "declared ISO one: under the date hold rate, so those rows are quarantined and the rest load",
    ),
    FaultKind("nul_bytes", "ed_attendances", "quarantine_rows", "nul_byte", "NUL bytes inside a narrative field"),
    FaultKind(
        "misfiled_feed",
        "police_incidents",
        "reject_file",
        "wrong_feed",
        "an ambulance delivery dropped in the police folder under a police file name",
    ),
    FaultKind(
        "duplicate_delivery",
        "mh_contacts",
        "skip_duplicate",
        "duplicate_file",
        "a byte-identical copy of a clean delivery under another name, same period",
    ),
    FaultKind(
        "corrected_redelivery",
        "ambulance_calls",
        "supersede",
        "redelivery",
        "the same month sent again with some rows corrected; it replaces the earlier delivery for that period",
    ),
    FaultKind(
        "control_total_mismatch",
        "programme_caseload",
        "reject_file",
        "control_total_shortfall",
        "a delivery whose .ctl row count is 3 more than the rows in the file: a shortfall, held whole by default",
    ),
    FaultKind(
        "truncated_extract",
        "mh_contacts",
        "reject_file",
        "control_total_shortfall",
        "an extract cut at a row boundary: the .ctl says 91 rows for every 66 in the file (the file itself is "
        "well formed)",
    ),
    FaultKind(
        "control_total_excess",
        "ambulance_calls",
        "load_with_warning",
        "control_total_excess",
        "a delivery whose .ctl row count is 2 fewer than the rows in the file: loaded, with a warning",
    ),
    FaultKind(
        "date_order_swapped",
        "police_incidents",
        "reject_file",
        "date_format_changed",
        "every date and date-time written month-first (%m/%d/%Y) where the feed declares day-first: rows with a "
        "day of 12 or less would load with the wrong date, so the file is held whole, naming the format seen",
    ),
    FaultKind(
        "date_order_swapped_subtle",
        "mh_outcome_measures",
        "reject_file",
        "date_format_changed",
        "month-first dates where all but two rows have a day of 12 or less: most rows parse (wrongly), under the "
        "hold rate; the two that can tell the orders apart say month-first, so the file is held whole",
    ),
    FaultKind(
        "event_dates_far_from_period",
        "ed_attendances",
        "quarantine_rows",
        "event_date_far_from_period",
        "two rows of 40 whose Arrival_Date is six months before the delivery's period: those rows are quarantined",
    ),
    FaultKind(
        "encoding_utf8_upgrade",
        "council_contacts",
        "load_with_warning",
        "encoding_mismatch",
        "a council delivery (declared cp1252) sent in UTF-8 without a byte-order mark after a system upgrade, with "
        "accented names and \u00a3: loaded as UTF-8 (names intact), with a warning naming both encodings",
    ),
    FaultKind(
        "encoding_mixed",
        "police_incidents",
        "reject_file",
        "mixed_encoding",
        "a UTF-8 delivery with accented names in which two rows were written in cp1252: no single encoding fits",
    ),
    FaultKind(
        "encoding_unknown",
        "feedback",
        "reject_file",
        "undecodable",
        "a delivery (declared UTF-8) in the DOS code page cp850, with \u00fc and \u00c9: neither UTF-8 nor cp1252 fits",
    ),
    FaultKind(
        "utf16_export",
        "mh_outcome_measures",
        "reject_file",
        "utf16_file",
        "the delivery saved as Excel's 'Unicode text': UTF-16 little-endian with a byte-order mark",
    ),
    FaultKind(
        "gzip_export",
        "ed_attendances",
        "reject_file",
        "gzip_file",
        "a gzip-compressed extract under the feed's .csv name",
    ),
    FaultKind(
        "misfiled_by_name",
        "police_incidents",
        "flag_stray_file",
        "stray_file",
        "an ambulance delivery under its own name (AMB_CALLS_*.txt) dropped in the police folder: not a police "
        "delivery, so not loaded, and named as a stray file that belongs to ambulance_calls",
    ),
)


def _period(first: date, month: int) -> str:
    m = first.month - 1 + month
    return f"{first.year + m // 12:04d}-{m % 12 + 1:02d}"


def _name(spec: FeedSpec, period: str, suffix: str) -> str:
    prefix, ext = spec.file_pattern.split("*")
    return f"{prefix}{period}_{suffix}{ext}"


def _read(path: Path, spec: FeedSpec) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding=spec.encoding) as f:
        rows = list(csv.reader(f, delimiter=spec.delimiter))
    return rows[0], rows[1:]


def _dump(header: list[str], rows: list[list[str]], delimiter: str, terminator: str = "\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=terminator)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_faults(out_dir: Path, first: date, months: int, seed: int) -> int:
    """Write every fault kind once; return the number of fault files written.

    Ingest loads the newest delivery of each period, so a fault file named for a clean month would
    replace that month. Faults therefore arrive as deliveries for later periods (after the clean window,
    one period per fault within a feed), except the duplicate and the corrected re-delivery, which are
    about a clean month by definition. Rows copied into fault files get new record ids and dates moved
    into the fault's period, so a lenient ingest that loads them never double-counts a clean record.
    """
    rng = random.Random(seed * 97 + 5)
    landing = out_dir / "landing"
    truth = out_dir / "synth_truth"
    source_month = {fk.kind: min(1 + n % max(months, 1), months - 1) for n, fk in enumerate(FAULT_KINDS, start=1)}
    sources = {
        (feed, FEED_SPECS[feed].file_pattern.replace("*", _period(first, source_month[fk.kind])))
        for fk in FAULT_KINDS
        for feed in (fk.feed, "ambulance_calls")
    } | {  # the subtle date fault may gather rows from every month of its feed
        (fk.feed, FEED_SPECS[fk.feed].file_pattern.replace("*", _period(first, m)))
        for fk in FAULT_KINDS
        if fk.kind == "date_order_swapped_subtle"
        for m in range(months)
    }
    people_of = _record_people(truth / "records.csv", sources)  # only the files faults copy rows from
    listing: list[tuple[str, str, str, str, str, int, str]] = []
    extra_records: list[tuple[str, str, str, str, str, str, str]] = []
    later: dict[str, int] = {}

    def clean(feed: str, month: int) -> tuple[FeedSpec, Path, str]:
        spec = FEED_SPECS[feed]
        period = _period(first, month)
        return spec, landing / feed / spec.file_pattern.replace("*", period), period

    def copies(spec: FeedSpec, rows: list[list[str]], n: int, tag: str, fname: str, period: str) -> list[list[str]]:
        """Up to n clean rows with new ids and event dates moved into ``period``; recorded in the truth."""
        picked = [list(r) for r in rows[: min(n, len(rows))]]
        rid = spec.column_names.index(spec.record_id)
        for r in picked:
            person = people_of.get((spec.name, r[rid]), "")
            r[rid] = f"{r[rid]}{tag}"
            at = _move_event(spec, r, period)
            extra_records.append((spec.name, r[rid], person, at, fname, "", "fault_copy"))
        return picked

    for number, fk in enumerate(FAULT_KINDS, start=1):
        tag = f"S{number:02d}"
        spec, src, period = clean(fk.feed, source_month[fk.kind])
        header, rows = _read(src, spec)
        folder = landing / fk.feed
        if fk.kind in {"duplicate_delivery", "corrected_redelivery"}:
            name = _name(spec, period, "copy" if fk.kind == "duplicate_delivery" else "resend")
            fault_period = period
        else:
            later[fk.feed] = later.get(fk.feed, 0) + 1
            fault_period = _period(first, months - 1 + later[fk.feed])
            name = spec.file_pattern.replace("*", fault_period)
            if fk.kind == "misfiled_by_name":  # the other feed's own name
                name = FEED_SPECS["ambulance_calls"].file_pattern.replace("*", fault_period)
        affected = 0
        if fk.kind == "encoding_utf8_bom":
            body = copies(spec, rows, 40, tag, name, fault_period)
            note = header.index("CaseNote")
            for r in body[:3]:
                r[note] = (
                    f"{r[note]} Rent arrears \u00a3{rng.randrange(2, 20)}00, client Zo\u00eb met at the caf\u00e9."
                )
            (folder / name).write_text(_dump(header, body, spec.delimiter, "\r\n"), encoding="utf-8-sig")
            affected = len(body)
        elif fk.kind == "encoding_cp1252":
            body = copies(spec, rows, 40, tag, name, fault_period) or [[""] * len(header)]
            nar = header.index("LOG_NARRATIVE")
            sur = header.index("SUBJECT_SURNAME")
            body[0][sur] = "BRONT\u00cb"
            body[0][nar] = (body[0][nar] + " Property damage est \u00a3200, subject's caf\u00e9 job lost.").strip()
            (folder / name).write_bytes(_dump(header, body, spec.delimiter).encode("cp1252", "replace"))
            affected = len(body)
        elif fk.kind == "wrong_delimiter":
            body = copies(spec, rows, 40, tag, name, fault_period)
            (folder / name).write_text(_dump(header, body, ","), encoding=spec.encoding)
            affected = len(body)
        elif fk.kind == "missing_column":
            body = copies(spec, rows, 40, tag, name, fault_period)
            k = header.index("ChiefComplaint")
            (folder / name).write_text(
                _dump(header[:k] + header[k + 1 :], [r[:k] + r[k + 1 :] for r in body], spec.delimiter),
                encoding=spec.encoding,
            )
            affected = len(body)
        elif fk.kind == "extra_column":
            body = [[*r, rng.choice(("1", "2", "3"))] for r in copies(spec, rows, 40, tag, name, fault_period)]
            (folder / name).write_text(
                _dump([*header, "EC_Attendance_Category"], body, spec.delimiter), encoding=spec.encoding
            )
            affected = len(body)
        elif fk.kind == "renamed_column":
            body = copies(spec, rows, 40, tag, name, fault_period)
            renamed = ["OPEN_CODE" if h == "OPENING_CODE" else h for h in header]
            (folder / name).write_text(_dump(renamed, body, spec.delimiter), encoding=spec.encoding)
            affected = len(body)
        elif fk.kind == "truncated_last_line":
            body = copies(spec, rows, 12, tag, name, fault_period)
            text = _dump(header, body, spec.delimiter).rstrip("\n")
            if body:
                # cut inside the 8th field of the last row (the leading fields are never quoted)
                cut = text.rfind("\n") + 1
                for _ in range(7):
                    cut = text.index(spec.delimiter, cut) + 1
                text = text[: cut + 3]
                affected = 1
            (folder / name).write_text(text, encoding=spec.encoding)
        elif fk.kind == "empty_file":
            (folder / name).write_bytes(b"")
        elif fk.kind == "header_only":
            (folder / name).write_text(_dump(header, [], spec.delimiter), encoding=spec.encoding)
        elif fk.kind == "oversized_field":
            body = copies(spec, rows, 5, tag, name, fault_period)
            if body:
                nar = header.index("LOG_NARRATIVE")
                body[0][nar] = ("SUBJECT CALM. " * (10 * 1024 * 1024 // 14 + 1))[: 10 * 1024 * 1024]
                affected = 1
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
        elif fk.kind == "formula_injection":
            body = copies(spec, rows, 8, tag, name, fault_period)
            payloads = (
                '=HYPERLINK("http://example.invalid/x","Click for case file")',
                "+cmd|' /C calc'!A0",
                "-2+3+cmd|' /C notepad'!A0",
                "@SUM(1+1)*cmd|' /C calc'!A0",
            )
            note, cname = header.index("CaseNote"), header.index("ClientName")
            for k, r in enumerate(body[:4]):
                r[note if k % 2 == 0 else cname] = payloads[k]
                affected += 1
            (folder / name).write_text(_dump(header, body, spec.delimiter, "\r\n"), encoding=spec.encoding)
        elif fk.kind == "mixed_date_formats":
            body = copies(spec, rows, 40, tag, name, fault_period)
            col = header.index(spec.event_at)
            for k, r in enumerate(body):
                # one row in 15: at most 3 of 40 (7.5%), under the 10% at which a date column is held whole
                if k % 15 != 1 or not _parses(r[col], spec):
                    continue
                at = datetime.strptime(r[col], spec.datetime_formats[0])
                r[col] = at.strftime("%d/%m/%Y %H:%M" if (k // 15) % 2 == 0 else "%d-%b-%Y %H:%M:%S")
                affected += 1
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
        elif fk.kind == "nul_bytes":
            body = copies(spec, rows, 6, tag, name, fault_period)
            notes = header.index("Clinical_Notes")
            for r in body[:2]:
                r[notes] = r[notes][:10] + "\x00\x00" + r[notes][10:]
                affected += 1
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
        elif fk.kind == "misfiled_feed":
            amb, amb_src, _ = clean("ambulance_calls", source_month[fk.kind])
            amb_header, amb_rows = _read(amb_src, amb)
            body = copies(amb, amb_rows, 40, tag, name, fault_period)
            (folder / name).write_text(_dump(amb_header, body, amb.delimiter), encoding=amb.encoding)
            affected = len(body)
        elif fk.kind == "duplicate_delivery":
            (folder / name).write_bytes(src.read_bytes())
            ctl = src.with_name(src.name + ".ctl")
            if ctl.exists():
                (folder / (name + ".ctl")).write_bytes(ctl.read_bytes())
            affected = len(rows)
        elif fk.kind == "corrected_redelivery":
            body = [list(r) for r in rows]
            outcome = header.index("Outcome")
            for r in body[:: max(1, len(body) // 5)][:5]:
                if r[outcome] == "see_and_convey":
                    r[outcome] = "see_and_treat"
                    affected += 1
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
            if spec.has_control_totals:
                (folder / (name + ".ctl")).write_text(f"{len(body)}\n", encoding="utf-8")
        elif fk.kind == "control_total_mismatch":
            body = copies(spec, rows, 10, tag, name, fault_period)
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
            (folder / (name + ".ctl")).write_text(f"{len(body) + 3}\n", encoding="utf-8")
            affected = len(body)
        elif fk.kind == "truncated_extract":
            body = copies(spec, rows, 66, tag, name, fault_period)
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
            (folder / (name + ".ctl")).write_text(f"{max(len(body) * 91 // 66, len(body) + 1)}\n", encoding="utf-8")
            affected = len(body)
        elif fk.kind == "control_total_excess":
            body = copies(spec, rows, 40, tag, name, fault_period)
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
            (folder / (name + ".ctl")).write_text(f"{max(len(body) - 2, 0)}\n", encoding="utf-8")
            affected = len(body)
        elif fk.kind == "date_order_swapped":
            body = copies(spec, rows, 40, tag, name, fault_period)
            for r in body:
                _swap_day_and_month(spec, header, r)
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
            affected = len(body)
        elif fk.kind == "date_order_swapped_subtle":
            ev = header.index(spec.event_at)
            low: list[list[str]] = []  # rows whose every date has a day of 12 or less: they fit both orders
            high: list[list[str]] = []  # two rows whose event date can tell the orders apart
            start = source_month[fk.kind]
            for k in range(months):  # from the source month on, until there are enough (a quiet month has few)
                if k:
                    rows = _read(clean(fk.feed, (start + k) % months)[1], spec)[1]
                for r in rows:
                    if all(d <= 12 for d in _days(spec, header, r)):
                        low.append(r)
                    elif (_day(spec, spec.event_at, r[ev]) or 0) > 12 and len(high) < 2:
                        high.append(r)
                if len(low) >= 38 and len(high) == 2:
                    break
            body = copies(spec, low[:38] + high, 40, tag, name, fault_period)
            for r in body:
                _swap_day_and_month(spec, header, r)
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
            affected = len(body)
        elif fk.kind == "event_dates_far_from_period":
            body = copies(spec, rows, 40, tag, name, fault_period)
            col = header.index(spec.event_at)
            fmt = _event_format(spec)
            for r in body[1:3]:
                at = datetime.strptime(r[col], fmt)
                m = at.year * 12 + at.month - 1 - 6
                r[col] = at.replace(year=m // 12, month=m % 12 + 1, day=min(at.day, 28)).strftime(fmt)
                affected += 1
            (folder / name).write_text(_dump(header, body, spec.delimiter), encoding=spec.encoding)
        elif fk.kind == "encoding_utf8_upgrade":
            body = copies(spec, rows, 40, tag, name, fault_period)
            cname, note = header.index("ClientName"), header.index("CaseNote")
            for r in body[:3]:
                r[cname] = _accented(r[cname])
                r[note] = f"{r[note]} Owes \u00a3{rng.randrange(2, 20)}0 rent.".strip()
            (folder / name).write_bytes(_dump(header, body, spec.delimiter, "\r\n").encode("utf-8"))
            affected = len(body)
        elif fk.kind == "encoding_mixed":
            body = copies(spec, rows, 40, tag, name, fault_period)
            sur = header.index("SUBJECT_SURNAME")
            for r in body[:4]:
                r[sur] = _accented(r[sur])
            parts = [_dump(header, [], spec.delimiter).encode("utf-8")]
            for k, r in enumerate(body):
                line = _dump(header, [r], spec.delimiter).split("\n", 1)[1]
                parts.append(line.encode("cp1252", "replace") if k in (2, 3) else line.encode("utf-8"))
            (folder / name).write_bytes(b"".join(parts))
            affected = len(body)
        elif fk.kind == "encoding_unknown":
            body = copies(spec, rows, 40, tag, name, fault_period)
            comment = header.index("Comment")
            for r in body[:2]:
                r[comment] = f"{r[comment]} Dr M\u00fcller and \u00c9mile were kind.".strip()
            (folder / name).write_bytes(_dump(header, body, spec.delimiter).encode("cp850", "replace"))
            affected = len(body)
        elif fk.kind == "utf16_export":
            body = copies(spec, rows, 40, tag, name, fault_period)
            text = _dump(header, body, spec.delimiter, "\r\n")
            (folder / name).write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
            affected = len(body)
        elif fk.kind == "gzip_export":
            body = copies(spec, rows, 40, tag, name, fault_period)
            data = _dump(header, body, spec.delimiter).encode(spec.encoding)
            (folder / name).write_bytes(gzip.compress(data, mtime=0))
            affected = len(body)
        elif fk.kind == "misfiled_by_name":
            amb, amb_src, _ = clean("ambulance_calls", source_month[fk.kind])
            amb_header, amb_rows = _read(amb_src, amb)
            body = copies(amb, amb_rows, 40, tag, name, fault_period)
            (folder / name).write_text(_dump(amb_header, body, amb.delimiter), encoding=amb.encoding)
            if amb.has_control_totals:
                (folder / (name + ".ctl")).write_text(f"{len(body)}\n", encoding="utf-8")
            affected = len(body)
        else:  # pragma: no cover - every kind is handled above
            raise ValueError(f"unhandled fault kind {fk.kind}")
        listing.append((fk.feed, name, fk.kind, fk.outcome, fk.reason, affected, fk.description))

    with (truth / "faults.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            ("feed", "file", "fault_kind", "expected_outcome", "expected_reason", "rows_affected", "description")
        )
        w.writerows(listing)
    with (truth / "records.csv").open("a", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(extra_records)
    return len(listing)


def _move_event(spec: FeedSpec, row: list[str], period: str) -> str:
    """Move a copied row's event date into ``period`` (same day, capped at 28); return it as ISO, or ""."""
    col = spec.column_names.index(spec.event_at)
    is_datetime = spec.column(spec.event_at).dtype is DType.DATETIME
    fmt = spec.datetime_formats[0] if is_datetime else spec.date_formats[0]
    try:
        at = datetime.strptime(row[col], fmt)
    except ValueError:
        return ""
    year, month = (int(x) for x in period.split("-"))
    moved = at.replace(year=year, month=month, day=min(at.day, 28))
    row[col] = moved.strftime(fmt)
    return moved.isoformat()


def _event_format(spec: FeedSpec) -> str:
    return spec.datetime_formats[0] if spec.column(spec.event_at).dtype is DType.DATETIME else spec.date_formats[0]


def _column_format(spec: FeedSpec, column: str) -> str:
    return spec.datetime_formats[0] if spec.column(column).dtype is DType.DATETIME else spec.date_formats[0]


def _day(spec: FeedSpec, column: str, value: str) -> int | None:
    try:
        return datetime.strptime(value, _column_format(spec, column)).day
    except ValueError:
        return None


def _days(spec: FeedSpec, header: list[str], row: list[str]) -> list[int]:
    """The day of the month of every date in a row (blank or unparseable ones left out)."""
    out = []
    for col in spec.columns:
        if col.dtype in (DType.DATE, DType.DATETIME):
            day = _day(spec, col.name, row[header.index(col.name)])
            if day is not None:
                out.append(day)
    return out


def _swap_day_and_month(spec: FeedSpec, header: list[str], row: list[str]) -> None:
    """Rewrite every date of a row with day and month exchanged in the feed's own format (%d/%m -> %m/%d)."""
    for col in spec.columns:
        if col.dtype not in (DType.DATE, DType.DATETIME):
            continue
        fmt = _column_format(spec, col.name)
        swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
        i = header.index(col.name)
        try:
            row[i] = datetime.strptime(row[i], fmt).strftime(swapped)
        except ValueError:
            continue


_ACCENTS = str.maketrans("aeiouAEIOU", "\u00e1\u00e9\u00ef\u00f6\u00fc\u00c1\u00c9\u00cf\u00d6\u00dc")


def _accented(name: str) -> str:
    """The name with its first vowel accented (Renee -> R\u00e9nee), or with a diaeresis added if it has none."""
    for k, ch in enumerate(name):
        if ch in "aeiouAEIOU":
            return name[:k] + ch.translate(_ACCENTS) + name[k + 1 :]
    return name + "\u00eb"


def _parses(value: str, spec: FeedSpec) -> bool:
    try:
        datetime.strptime(value, spec.datetime_formats[0])
    except ValueError:
        return False
    return True


def _record_people(path: Path, sources: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(feed, record id) -> person id, for the records of the given (feed, file) deliveries only."""
    out: dict[tuple[str, str], str] = {}
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            if (row[0], row[4]) in sources:
                out[(row[0], row[1])] = row[2]
    return out
