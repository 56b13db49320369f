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
