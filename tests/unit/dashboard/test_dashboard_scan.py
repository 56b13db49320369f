"""The disclosure scan of the dashboards' pages: each rule fails on what it must and passes what it must not flag."""

from __future__ import annotations

import pytest

from pipelines.dashboard.browser import Cell, ChartText, DownloadedFile, HtmlTable, PageResult
from pipelines.dashboard.scan import (
    count_cell_problem,
    count_like_numbers,
    download_count_columns,
    planted_findings,
    scan_charts,
    scan_csv,
    scan_page,
    scan_tables,
)

T, B = 7, 5


@pytest.mark.parametrize("text", ["0", "10", "1,015", "760", "suppressed", "Suppressed"])
def test_a_published_count_cell_passes(text: str) -> None:
    assert count_cell_problem(text, "suppressed_1_to_threshold", T, B) is None


@pytest.mark.parametrize("text", ["3", "7", "1", "12", "5", "8", "4.0.1", "n/a", ""])
def test_a_small_unrounded_or_odd_count_cell_fails(text: str) -> None:
    assert count_cell_problem(text, "", T, B) is not None


def test_a_suppressed_cell_needs_its_reason() -> None:
    assert count_cell_problem("suppressed", "", T, B) is not None


def test_only_count_cells_are_held_to_the_count_rule_and_findings_hide_the_value() -> None:
    rows = [[Cell("", "", "1"), Cell("count", "", "3")], [Cell("", "", "2"), Cell("count", "", "15")]]
    findings = scan_tables([HtmlTable("People by IMD quintile", ["Quintile", "People"], rows)], T, B)
    assert [f.where for f in findings] == ["table 1 ('People by IMD quintile') row 1 column 'People'"]
    assert "3" not in str(findings[0]).replace("table 1", "")


@pytest.mark.parametrize(
    "text",
    [
        "In 2025-03 there were 3 people in contact.",
        "7 people were detained",
        "Counts from 1-7 are hidden",  # outside the marked rule statement it is a count-like number
        "people: 4",
        "There were 2, 3 and 5 of them.",
        "(6)",
        "That is 1.",
    ],
)
def test_count_like_small_numbers_in_text_are_found(text: str) -> None:
    assert count_like_numbers(text, T)


@pytest.mark.parametrize(
    "text",
    [
        "2025-03",
        "from 2024-01 to 2025-06",
        "2025-03-01",
        "01/03/2025",
        "3 March 2025",
        "March 3, 2025",
        "2025 Q1 and Q3",
        "a rate ratio of 1.5 (0.7 to 2.1)",
        "5% of people, 3 percent, 2 per cent",
        "a change of -3 points, +2",
        "within 3 months, 7 days",
        "CORE10, GAD-7, POLICE_MH_3IN3_LOCAL, FRECANN_CHILD_6MONTH, TOP1PCT_LOCAL, 1st, 2nd",
        "IMD quintile 1 (most deprived), top 5, out of 5, version 2",
        "a ratio of 3:1, three quarters 3/4",
        "see note [1]",
        "1,015 contacts and 0 people",
        "No count from eight upwards here",
        "The mean rating (1 poor to 5 excellent) of the responses in each theme",
        "precision, recall and F1 (both together), from 0 to 1, by ethnic group",
    ],
)
def test_dates_decimals_percentages_codes_and_scales_are_not_counts(text: str) -> None:
    assert count_like_numbers(text, T) == []


def test_a_found_number_is_masked_in_its_context() -> None:
    (context,) = count_like_numbers("In 2025-03 there were 3 people in contact.", T)
    assert context == "In ####-## there were # people in contact."


CSV = "month,agency,contacts,contacts_suppression,mean_rating,mean_rating_suppression\n"


def test_a_clean_download_passes() -> None:
    text = (
        CSV + "2025-01,police,10,,3.5,\n2025-02,police,,suppressed_1_to_threshold,,count_suppressed\n2025-03,x,0,,2,\n"
    )
    assert scan_csv("d.csv", text, T, B) == []


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("2025-01,police,6,,3.5,", "threshold"),
        ("2025-01,police,12,,3.5,", "multiple"),
        ("2025-01,police,,,3.5,", "without its reason"),
        ("2025-01,police,10,suppressed_1_to_threshold,,count_suppressed", "withheld"),
    ],
)
def test_a_download_with_a_small_count_a_missing_reason_or_a_contradiction_fails(row: str, problem: str) -> None:
    (finding,) = scan_csv("d.csv", CSV + row + "\n", T, B)
    assert problem in finding.problem and "column 'contacts'" in finding.where


def test_a_statistic_with_a_reason_column_is_not_a_count_unless_the_warehouse_says_so() -> None:
    header = ["people", "people_suppression", "mean_change", "mean_change_suppression", "rows"]
    rows = [["10", "", "3.5", "", "4"], ["15", "", "2.0", "", "6"]]
    assert download_count_columns(header, rows) == ["people"]
    assert download_count_columns(header, rows, known=["rows"]) == ["people", "rows"]
    # a mean of whole numbers is still a statistic when the warehouse says so
    assert download_count_columns(header, [["10", "", "3", "", ""]], not_counts=["mean_change"]) == ["people"]
    # a count pandas wrote as a float (760.0) is still a count the warehouse names
    assert scan_csv("d.csv", "people,people_suppression\n760.0,\n3.0,\n", T, B, {"people"})[0].where.endswith(
        "row 2 column 'people'"
    )


def test_chart_ticks_count_only_on_a_quantitative_axis_of_counts() -> None:
    people = ("Y-axis titled 'People' for a linear scale with values from 0 to 20", ["0", "5", "10", "15", "20"])
    ratio = ("Y-axis titled 'Rate ratio' for a linear scale with values from 0 to 2", ["0", "1", "2"])
    quintile = ("X-axis titled 'IMD quintile' for a discrete scale with 5 values: 1, 2, 3, 4, 5", ["1", "2", "3"])
    assert len(scan_charts([ChartText([people], [])], T)) == 1
    assert scan_charts([ChartText([ratio, quintile], [])], T) == []
    assert scan_charts([ChartText([], ["3"])], T)


def test_scan_page_reads_every_part_and_skips_the_rule_statement() -> None:
    page = PageResult("http://127.0.0.1/x")
    page.free_text = ["Overview", "Contacts by agency"]
    page.rule_text = ["Counts of 1 to 7 are suppressed"]
    assert scan_page(page, T, B) == []
    page.downloads = [DownloadedFile("Download", "a.csv", CSV + "2025-01,police,5,,1.5,\n")]
    page.free_text.append("2 people")
    assert len(scan_page(page, T, B)) == 2
    page.inline_counts = [Cell("count", "", "40"), Cell("count", "", "4")]
    assert "http://127.0.0.1/x marked count 2 in the text" in [f.where for f in scan_page(page, T, B)]


class _Known:
    def hits(self, text: str):
        if "Okonkwo" in text:
            yield "PERSON", "Okonkwo"


def test_planted_identifiers_are_found_in_text_tables_and_downloads_without_the_value() -> None:
    page = PageResult("u")
    page.text = "a quote from Ada Okonkwo"
    page.tables = [HtmlTable("t", ["a"], [[Cell("", "", "Okonkwo")]])]
    page.downloads = [DownloadedFile("Download", "q.csv", "quote\nOkonkwo said\n")]
    findings = planted_findings(page, _Known())  # type: ignore[arg-type]
    assert {f.where for f in findings} == {"u text", "u table 1 row 1", "u download 'q.csv' line 2"}
    assert all("Okonkwo" not in str(f) for f in findings)


def test_a_mark_description_is_read_field_by_field() -> None:
    from pipelines.dashboard.scan import mark_description_problems

    assert mark_description_problems("Month: 2025-01; People: 5; IMD quintile: 1", T) == ["People"]
    assert mark_description_problems("Month: 2025-03; Contacts: 10; Rate ratio: 1.5; Quintile: 2", T) == []
    assert mark_description_problems("month: 2025-01; crisis_contacts: 4", T, {"crisis_contacts"}) == [
        "crisis_contacts"
    ]
    findings = scan_charts([ChartText([], [], ["Month: 2025-01; People: 3"])], T)
    assert len(findings) == 1 and "3" not in findings[0].problem.replace(str(T), "")


@pytest.mark.parametrize(
    "text",
    [
        "Counts are rounded to the nearest 5; counts from 1 to 7 are not published (shown as suppressed).",
        "suppressed_1_to_threshold: the count is between 1 and 7, too small to publish",
        "Counts of 1-7 are withheld and the rest rounded to a multiple of 5 (the threshold is 7).",
    ],
)
def test_the_rule_stated_with_this_installations_numbers_is_not_a_count(text: str) -> None:
    assert count_like_numbers(text, T, B) == []


@pytest.mark.parametrize(
    "text",
    [
        "Counts from 1 to 5 are not published.",  # not this installation's rule
        "Counts from 1 to 7 are not published; 3 people were withheld.",  # the rule, and a count beside it
        "Between 1 and 7 people came back.",  # no word about disclosure: a count range
        "3 people rated it from 1 to 5.",  # the scale is no count, the 3 is
    ],
)
def test_a_wrong_rule_or_a_count_beside_the_rule_is_still_found(text: str) -> None:
    assert count_like_numbers(text, T, B)
