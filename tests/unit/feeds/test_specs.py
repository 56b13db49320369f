"""The feed specs obey the project's naming and privacy conventions, so every stage can rely on them."""

from __future__ import annotations

import fnmatch
import re

import pytest

from pipelines.feeds import CODE_LABELS, FEED_SPECS, get_spec
from pipelines.feeds.base import DType, Role
from pipelines.settings import FEEDS

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SPECS = list(FEED_SPECS.values())
IDS = list(FEED_SPECS)


def test_every_feed_in_settings_has_a_spec() -> None:
    assert tuple(FEED_SPECS) == FEEDS
    for name in FEEDS:
        assert get_spec(name).name == name


def test_unknown_feed_raises() -> None:
    with pytest.raises(KeyError):
        get_spec("not_a_feed")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_shape_is_moderate_and_self_consistent(spec) -> None:
    assert 8 <= len(spec.columns) <= 24  # an MHSDS-like export with equality fields runs past 20
    assert len(set(spec.column_names)) == len(spec.column_names)
    assert spec.column(spec.record_id).role is Role.RECORD_ID
    assert spec.column(spec.record_id).required
    assert spec.column(spec.event_at).dtype in (DType.DATE, DType.DATETIME)
    assert spec.column(spec.event_at).required
    assert len(spec.by_role(Role.RECORD_ID)) == 1
    assert spec.description.rstrip().split(". ")[-1].startswith("One row per ")
    assert spec.description.endswith(".")
    assert "*" in spec.file_pattern
    assert fnmatch.fnmatch(spec.file_pattern.replace("*", "2024-01"), spec.file_pattern)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_canonical_names_follow_the_style_guide(spec) -> None:
    names = [c.output_name for c in spec.columns]
    assert len(set(names)) == len(names), "canonical names must be unique within a feed"
    for col in spec.columns:
        assert col.canonical, f"{spec.name}.{col.name} has no canonical name"
        assert SNAKE.match(col.canonical), col.canonical
        assert col.description
        if col.dtype is DType.BOOLEAN:
            assert col.canonical.startswith(("is_", "has_")), col.canonical
        if col.dtype is DType.DATETIME:
            assert col.canonical.endswith("_at"), col.canonical


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_privacy_roles(spec) -> None:
    person = spec.person_columns()
    for col in spec.columns:
        if col.person_field in {"nhs_number", "given_name", "family_name", "full_name", "date_of_birth"}:
            assert col.role is Role.IDENTIFIER, col.name
        if col.person_field in {"postcode", "address", "phone", "email"}:
            assert col.role is Role.IDENTIFIER, col.name
        if col.person_field == "lsoa":
            assert col.role is Role.QUASI_IDENTIFIER, col.name
        if col.role is Role.QUASI_IDENTIFIER:
            assert col.person_field == "lsoa", col.name
    # every feed carries a person identity and somewhere to live
    assert "nhs_number" in person or "date_of_birth" in person
    assert {"given_name", "family_name"} <= set(person) or "full_name" in person
    assert "postcode" in person or "lsoa" in person


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_code_labels_match_code_lists(spec) -> None:
    labels = CODE_LABELS[spec.name]
    code_cols = {c.name for c in spec.columns if c.dtype is DType.CODE}
    assert set(labels) == code_cols
    for col in spec.columns:
        if col.dtype is DType.CODE:
            assert tuple(labels[col.name]) == col.codes
            assert len(set(col.codes)) == len(col.codes)


def test_feed_conventions_differ_between_agencies() -> None:
    assert len({s.delimiter for s in SPECS}) >= 3
    assert "cp1252" in {s.encoding for s in SPECS}
    assert len({s.date_formats[0] for s in SPECS}) >= 4
    assert len({s.file_pattern for s in SPECS}) == len(SPECS)


def test_police_shape_matches_cad() -> None:
    spec = get_spec("police_incidents")
    assert spec.column("OPENED_DT").canonical == "opened_at"
    assert {"S136", "ARREST", "CUSTODY", "CONVEY_HOSP"} <= set(spec.column("CLOSING_CODE").codes or ())
    assert spec.column("SUBJECT_NHS_NO").person_field == "nhs_number"


def test_outcome_measures_item_ranges() -> None:
    from pipelines.feeds.mh_outcome_measures import MEASURE_ITEMS

    assert MEASURE_ITEMS["SWEMWBS"] == (7, 1, 5)
    assert MEASURE_ITEMS["CORE10"] == (10, 0, 4)
    assert MEASURE_ITEMS["REQOL10"] == (11, 0, 4)
    assert MEASURE_ITEMS["DIALOG"] == (11, 1, 7)
    assert MEASURE_ITEMS["HONOS"] == (12, 0, 4)


def test_outcome_measures_carry_response_positions_and_their_directions() -> None:
    """The feed says which way each item points, so the warehouse can reverse the negatively worded ones."""
    from pipelines.feeds.mh_outcome_measures import MEASURE_BY_CODE, SPEC

    assert SPEC.column("Item_Response").canonical == "item_response"
    assert "Item_Score" not in SPEC.column_names
    assert set(SPEC.column("Measure").codes or ()) == set(MEASURE_BY_CODE)
    m = MEASURE_BY_CODE
    assert m["CORE10"].higher_is_better == (2, 3)
    assert m["REQOL10"].higher_is_better == (2, 4, 5, 7, 8, 10)
    assert m["REQOL10"].lower_is_better == (1, 3, 6, 9, 11)  # 11: physical health problems, its own scale
    assert m["SWEMWBS"].lower_is_better == () and m["DIALOG"].lower_is_better == ()
    assert m["HONOS"].higher_is_better == () and m["HONOS"].not_known == 9
    assert m["DIALOG"].positions[0] == "Totally dissatisfied" and m["DIALOG"].positions[-1] == "Totally satisfied"
    assert len(m["DIALOG"].item_labels) == 11 and len(m["HONOS"].item_labels) == 12
    for measure in m.values():  # every measure's scale, directions and scoring rule reach docs/feeds.md
        assert any(note.startswith(f"{measure.code} (") and measure.scoring in note for note in SPEC.notes)
