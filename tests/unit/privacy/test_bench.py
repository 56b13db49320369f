import re

from pipelines.privacy import bench_corpus
from pipelines.privacy.bench import Coverage, write_section


def test_corpus_spans_point_at_planted_values():
    for split in ("dev", "heldout"):
        narratives = bench_corpus.generate(60, split, seed=3)
        assert len({n.id for n in narratives}) == 60
        for n in narratives:
            assert n.spans
            for start, end, entity in n.spans:
                value = n.text[start:end]
                assert value and value == value.strip(), (entity, value)
                if entity == "NHS_NUMBER":
                    assert len(re.sub(r"\D", "", value)) == 10
        subject = narratives[0].known
        assert {"given_name", "family_name", "date_of_birth", "address", "phone"} <= set(subject)


def test_corpus_is_reproducible_and_splits_differ():
    a = bench_corpus.generate(20, "heldout", seed=5)
    b = bench_corpus.generate(20, "heldout", seed=5)
    assert [n.text for n in a] == [n.text for n in b]
    dev_templates = {t for ts in bench_corpus.DEV_TEMPLATES.values() for t in ts}
    held_templates = {t for ts in bench_corpus.HELDOUT_TEMPLATES.values() for t in ts}
    assert not dev_templates & held_templates
    assert not set(bench_corpus.DEV_FILLER) & set(bench_corpus.HELDOUT_FILLER)


def test_coverage_counts_full_spans_and_kept_words():
    text = "Call John Smith on 07700 900123 today"
    planted = [(5, 9, "PERSON"), (10, 15, "PERSON"), (19, 31, "PHONE_NUMBER")]
    cov = Coverage()
    cov.add(text, planted, [(5, 9), (19, 26)])  # surname missed, phone half-masked
    assert cov.found["PERSON"] == 1 and cov.total["PERSON"] == 2
    assert cov.found["PHONE_NUMBER"] == 0
    assert (cov.words_kept, cov.words_total) == (3, 3)  # Call, on, today
    cov.add("a b c", [], [(0, 1)])
    assert cov.words_kept == 5 and cov.words_total == 6


def test_write_section_keeps_other_sections(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Linkage\n\nlinkage numbers\n")
    write_section(doc, ["## De-identification", "", "first"])
    write_section(doc, ["## De-identification", "", "second"])
    text = doc.read_text()
    assert "## Linkage\n\nlinkage numbers" in text
    assert text.count("## De-identification") == 1 and "second" in text and "first" not in text
    missing = tmp_path / "new.md"
    write_section(missing, ["## De-identification", "", "x"])
    assert missing.read_text().startswith("# Benchmarks\n")


def test_hard_class_narratives_plant_each_class_in_both_splits():
    for split in ("dev", "heldout"):
        narratives = bench_corpus.generate(200, split, seed=11)
        hard = [n for n in narratives if n.span_classes]
        assert len(hard) == round(200 * bench_corpus.CLASS_SHARE)
        seen = set()
        for n in hard:
            assert len(n.span_classes) == len(n.spans)
            for (start, end, entity), cls in zip(n.spans, n.span_classes, strict=True):
                value = n.text[start:end]
                assert value and value == value.strip(), (entity, value)
                seen.add(cls)
                if cls == bench_corpus.CLASS_COMPACT_DOB:
                    assert entity == "DATE_OF_BIRTH" and not any(ch.isalpha() for ch in value)
                if cls in (bench_corpus.CLASS_WORD_SURNAME, bench_corpus.CLASS_CAPS_NAME):
                    assert entity == "PERSON" and " " not in value
        assert set(bench_corpus.CLASSES) <= seen


def test_hard_class_words_and_templates_differ_between_splits():
    for pool in ("_WORD_SURNAME_POOL", "_WORD_GIVEN_POOL", "_HOUSE_WORD_POOL", "_COMPOUND_SUFFIX_POOL"):
        text = getattr(bench_corpus, pool)
        dev, held = bench_corpus._pool(text, "dev"), bench_corpus._pool(text, "heldout")
        assert dev and held and not set(dev) & set(held)
        assert set(dev) | set(held) == set(text.split())
    for cls in bench_corpus.CLASSES:
        dev = set(bench_corpus.CLASS_TEMPLATES["dev"][cls])
        assert dev and not dev & set(bench_corpus.CLASS_TEMPLATES["heldout"][cls])


def test_ordinary_narratives_are_unchanged_by_the_classes():
    with_classes = bench_corpus.generate(50, "heldout", seed=4)
    ordinary = bench_corpus.generate(50 - round(50 * bench_corpus.CLASS_SHARE), "heldout", seed=4, classes=False)
    assert [n.text for n in with_classes if not n.span_classes] == [n.text for n in ordinary]


def test_compact_dob_forms():
    from datetime import date

    d = date(1985, 2, 1)
    forms = {f: bench_corpus.compact_dob(d, f) for f in bench_corpus._COMPACT_DOB_FORMATS}
    assert forms["ddmmyy"] == "010285" and forms["d/m/yy"] == "1/2/85" and forms["yyyymmdd"] == "19850201"
    assert forms["dd.mm.yyyy"] == "01.02.1985" and forms["iso"] == "1985-02-01"


def test_coverage_by_hard_class_counts_only_that_class():
    from pipelines.privacy.bench import by_hard_class

    narratives = bench_corpus.generate(40, "dev", seed=2)
    everything = [[(0, len(n.text))] for n in narratives]
    nothing = [[] for _ in narratives]
    full, empty = by_hard_class(narratives, everything), by_hard_class(narratives, nothing)
    planted = sum(1 for n in narratives for c in n.span_classes if c)
    assert sum(sum(c.total.values()) for c in full.values()) == planted
    assert all(c.recall() == 1.0 for c in full.values()) and all(c.recall() == 0.0 for c in empty.values())
