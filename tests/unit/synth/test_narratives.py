"""Planted identifiers: every value and offset in the truth is exactly what the files hold."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import Role
from pipelines.synth.narratives import CONTEXT, ENTITY_TYPES, POOLS, compose, plain_filler, render
from tests.unit.synth.conftest import read_feed, read_truth


def _cells(root, feed: str) -> dict[tuple[str, str], dict[str, str]]:
    spec = FEED_SPECS[feed]
    return {(feed, row[spec.record_id]): row for row in read_feed(root, feed)}


def test_planted_values_and_offsets_match_the_files(county) -> None:
    root, _ = county
    planted = read_truth(root, "planted_identifiers.csv")
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for feed in FEED_SPECS:
        cells.update(_cells(root, feed))
    checked = Counter()
    for p in planted:
        row = cells[(p["feed"], p["record_id"])]
        text = row[p["column"]]
        if p["start"]:
            assert text[int(p["start"]) : int(p["end"])] == p["value"], (p["feed"], p["column"])
            checked["free_text"] += 1
        else:
            assert text == p["value"]
            checked["structured"] += 1
        assert p["entity_type"] in ENTITY_TYPES
    assert checked["free_text"] > 1000 and checked["structured"] > 1000


def test_every_identifier_cell_is_in_the_truth(county) -> None:
    """No identifier in a structured column escapes the truth (the privacy test relies on this)."""
    root, _ = county
    planted = {(p["feed"], p["record_id"], p["column"]) for p in read_truth(root, "planted_identifiers.csv")}
    for feed, spec in FEED_SPECS.items():
        ident_cols = [c.name for c in spec.by_role(Role.IDENTIFIER) if c.person_field]
        for (f, rid), row in _cells(root, feed).items():
            for col in ident_cols:
                if row[col]:
                    assert (f, rid, col) in planted


def test_free_text_has_every_entity_type_and_realistic_variety(county) -> None:
    root, _ = county
    planted = [p for p in read_truth(root, "planted_identifiers.csv") if p["start"]]
    types = Counter(p["entity_type"] for p in planted)
    assert set(types) == set(ENTITY_TYPES)
    by_type = defaultdict(set)
    for p in planted:
        by_type[p["entity_type"]].add(p["value"])
    phones = by_type["PHONE_NUMBER"]
    assert any(v.startswith("+44") for v in phones) and any("(" in v for v in phones) and any(" " in v for v in phones)
    postcodes = by_type["UK_POSTCODE"]
    assert any(v != v.upper() for v in postcodes) and any(" " not in v for v in postcodes)
    assert any(v.startswith("Flat") for v in by_type["STREET_ADDRESS"])
    assert any(" " in v for v in by_type["NHS_NUMBER"]) and any(v.isdigit() for v in by_type["NHS_NUMBER"])
    dob_shapes = {re.sub(r"\d", "9", re.sub(r"[A-Za-z]+", "a", v)) for v in by_type["DATE_OF_BIRTH"]}
    assert len(dob_shapes) >= 5
    # narratives are mostly not identifiers: the de-identifier must keep the rest
    rows = read_feed(root, "police_incidents")
    spans = defaultdict(int)
    for p in planted:
        if p["feed"] == "police_incidents":
            spans[p["record_id"]] += int(p["end"]) - int(p["start"])
    text_chars = sum(len(r["LOG_NARRATIVE"]) for r in rows)
    assert 0.03 < sum(spans.values()) / text_chars < 0.4
    assert len({r["LOG_NARRATIVE"] for r in rows}) > 0.9 * len(rows)


def test_render_records_offsets_and_excludes_titles() -> None:
    values = {"staffname": "PC\x00Hughes", "phone": "07700 900123", "drug": "diazepam"}
    text, spans = render("Seen by {staffname}, took {drug}, call {phone}.", values.__getitem__)
    assert text == "Seen by PC Hughes, took diazepam, call 07700 900123."
    assert [(s.entity_type, text[s.start : s.end]) for s in spans] == [
        ("PERSON", "Hughes"),
        ("PHONE_NUMBER", "07700 900123"),
    ]


def test_compose_is_deterministic_and_uses_many_templates() -> None:
    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        plain = plain_filler(rng)
        out = []
        for _ in range(200):
            text, _ = compose("ambulance_calls", lambda s: plain(s) or s.upper(), rng)
            out.append(text)
        return out

    assert run(1) == run(1)
    assert run(1) != run(2)
    for feed, (ident, plain) in POOLS.items():
        fitting = sum(len(v) for k, v in CONTEXT.items() if k.startswith(f"{feed}:"))
        assert len(ident) >= 4 and len(plain) + fitting >= 10, feed
