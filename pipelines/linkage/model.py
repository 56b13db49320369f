"""The probabilistic linkage model: Splink (Fellegi-Sunter) on DuckDB, plus deterministic NHS-number links.

Why this shape:

- One *name* comparison covers given and family names together, so a swapped pair ("SMITH JOHN" / "JOHN SMITH"),
  a nickname ("Bob" / "Robert") and a typo each get their own level and their own weight, instead of two
  independent comparisons that would both score a swap as a disagreement.
- *Date of birth* levels separate a day/month transposition, a one-digit typo and a partial date (year only)
  from a plain disagreement: these are the errors agencies make, and each is far likelier for the same person than
  for a stranger.
- Parameters come from the data: u by random sampling, m by expectation maximisation on blocked pairs, both bounded
  in pairs so training cost does not grow with the square of the records. Small inputs (a test, a single month of one
  feed) keep expert default parameters instead of fitting EM to a handful of pairs.
- Blocking keys are computed here with a cap on block size, so a placeholder value shared by thousands of records
  cannot explode the number of pairs; each rule catches what the others miss (a dob typo, a name typo, a swap).
- A valid NHS number shared by two records links them deterministically when anything else about the person
  agrees (name or date of birth), so a mistyped NHS number that happens to pass its check digit cannot on its own
  merge strangers.
- The mental health trust's own patient number is the trust's key for a patient: two of its records (contacts,
  questionnaires, the programme caseload's copy of the number) with the same number are linked deterministically,
  again only when the name or the date of birth does not contradict it, and never across two valid NHS numbers.
- *Location* (postcode and address) and *contact* (phone, email) are household evidence as much as identity
  evidence, so their weight is capped; a pair that looks like twins (same family name, clearly different given
  names, sex on both, no shared identifier) is held in the clerical-review band. See ``docs/benchmarks.md``.
"""

from __future__ import annotations

import copy
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.normalise import soundex

logger = logging.getLogger(__name__)

JW = "jaro_winkler_similarity"


def _level(sql: str, label: str, m: float | None = None, u: float | None = None, null: bool = False) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    if m is not None:
        level["m_probability"] = m
    if u is not None:
        level["u_probability"] = u
    return level


NAME_LEVELS = (
    "exact",
    "nickname",
    "swapped",
    "fuzzy",
    "swapped_fuzzy",
    "family_and_initial",
    "given_family_missing",
    "given_only",
    "family_given_close",
    "given_different",
    "other",
)
DOB_LEVELS = ("exact", "transposed", "one_typo", "partial_agrees", "year_month", "month_day", "year", "other")


def comparisons() -> list[dict[str, Any]]:
    """The comparison levels with expert default m and u, used as they are when there is too little data for EM."""
    name = {
        "output_column_name": "name",
        "comparison_description": "given and family name together: exact, nickname, swapped, fuzzy, partial",
        "comparison_levels": [
            _level(
                "(given_l IS NULL AND family_l IS NULL) OR (given_r IS NULL AND family_r IS NULL)", "null", null=True
            ),
            _level("given_l = given_r AND family_l = family_r", "exact", 0.78, 0.0005),
            _level(
                "(given_canon_l = given_canon_r OR list_has_any(string_split(given_alts_l, '|')[2:-2], "
                "string_split(given_alts_r, '|')[2:-2])) AND family_l = family_r",
                "nickname",
                0.04,
                0.0001,
            ),
            _level(
                "given_canon_l = family_canon_r AND family_canon_l = given_canon_r",
                "swapped",
                0.02,
                0.00001,
            ),
            _level(
                f"(given_canon_l = given_canon_r OR {JW}(given_l, given_r) >= 0.88) "
                f"AND {JW}(family_l, family_r) >= 0.88",
                "fuzzy",
                0.08,
                0.0005,
            ),
            _level(
                f"{JW}(given_l, family_r) >= 0.88 AND {JW}(family_l, given_r) >= 0.88",
                "swapped_fuzzy",
                0.005,
                0.00002,
            ),
            _level(
                "family_l = family_r AND (given_l IS NULL OR given_r IS NULL OR substr(given_l, 1, 1) = "
                "substr(given_r, 1, 1))",
                "family_and_initial",
                0.02,
                0.001,
            ),
            _level(
                "given_canon_l = given_canon_r AND (family_l IS NULL OR family_r IS NULL)",
                "given_family_missing",
                0.01,
                0.002,
            ),
            _level(f"given_canon_l = given_canon_r OR {JW}(given_l, given_r) >= 0.92", "given_only", 0.02, 0.02),
            _level(
                f"{JW}(family_l, family_r) >= 0.92 AND {JW}(given_l, given_r) >= 0.7", "family_given_close", 0.01, 0.003
            ),
            _level(f"{JW}(family_l, family_r) >= 0.92", "given_different", 0.002, 0.007),
            _level("ELSE", "other", 0.005, 0.966),
        ],
    }
    dob = {
        "output_column_name": "dob",
        "comparison_description": "date of birth: exact, day/month transposed, one-digit typo, partial",
        "comparison_levels": [
            _level("dob_year_l IS NULL OR dob_year_r IS NULL", "null", null=True),
            _level("dob_l = dob_r", "exact", 0.85, 0.00004),
            _level(
                "dob_year_l = dob_year_r AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r",
                "transposed",
                0.02,
                0.000005,
            ),
            _level("damerau_levenshtein(dob_l, dob_r) <= 1", "one_typo", 0.05, 0.0005),
            _level(
                "(dob_l IS NULL OR dob_r IS NULL) AND dob_year_l = dob_year_r AND "
                "(dob_month_l IS NULL OR dob_month_r IS NULL OR dob_month_l = dob_month_r)",
                "partial_agrees",
                0.02,
                0.001,
            ),
            _level("dob_year_l = dob_year_r AND dob_month_l = dob_month_r", "year_month", 0.01, 0.0008),
            _level("dob_month_l = dob_month_r AND dob_day_l = dob_day_r", "month_day", 0.01, 0.0002),
            _level("dob_year_l = dob_year_r", "year", 0.01, 0.012),
            _level("ELSE", "other", 0.03, 0.985),
        ],
    }
    sex = {
        "output_column_name": "sex",
        "comparison_levels": [
            _level("sex_l IS NULL OR sex_r IS NULL", "null", null=True),
            _level("sex_l = sex_r", "exact", 0.98, 0.5),
            _level("ELSE", "other", 0.02, 0.5),
        ],
    }
    # Postcode and address describe one place: compared together so a shared home counts once, not twice (a
    # household's relatives share both, and two independent agreements would outweigh a different date of birth).
    location = {
        "output_column_name": "location",
        "comparison_description": "postcode and address together: same home, same street, same area",
        "comparison_levels": [
            _level(
                "(postcode_l IS NULL OR postcode_r IS NULL) AND (address_l IS NULL OR address_r IS NULL)",
                "null",
                null=True,
            ),
            _level(
                f"postcode_l = postcode_r AND (address_l = address_r OR {JW}(address_l, address_r) >= 0.9)",
                "postcode_and_address",
                0.5,
                0.00003,
            ),
            _level(f"address_l = address_r OR {JW}(address_l, address_r) >= 0.9", "address", 0.1, 0.0001),
            _level("postcode_l = postcode_r", "postcode", 0.2, 0.0003),
            _level(
                "len(list_intersect(string_split(address_l, ' '), string_split(address_r, ' '))) * 5 >= "
                "3 * least(len(string_split(address_l, ' ')), len(string_split(address_r, ' ')))",
                "address_tokens",
                0.03,
                0.005,
            ),
            _level("pc_sector_l = pc_sector_r", "sector", 0.03, 0.003),
            _level("pc_district_l = pc_district_r", "district", 0.04, 0.02),
            _level("ELSE", "other", 0.1, 0.97),
        ],
    }
    nhs = {
        "output_column_name": "nhs_number",
        "comparison_levels": [
            _level("nhs_l IS NULL OR nhs_r IS NULL", "null", null=True),
            _level("nhs_l = nhs_r AND nhs_valid_l AND nhs_valid_r", "valid_exact", 0.9, 0.0000001),
            _level("nhs_l = nhs_r", "exact", 0.02, 0.000001),
            _level("damerau_levenshtein(nhs_l, nhs_r) <= 1", "one_typo", 0.03, 0.00001),
            _level("nhs_valid_l AND nhs_valid_r", "valid_different", 0.005, 0.9),
            _level("ELSE", "other", 0.045, 0.09998),
        ],
    }
    # Phone and email, where a feed holds them: a shared landline or a family email is household evidence again, so
    # this weight is capped like location's.
    contact = {
        "output_column_name": "contact",
        "comparison_description": "phone or email the same",
        "comparison_levels": [
            _level("(phone_l IS NULL OR phone_r IS NULL) AND (email_l IS NULL OR email_r IS NULL)", "null", null=True),
            _level("phone_l = phone_r OR email_l = email_r", "exact", 0.6, 0.0003),
            _level("ELSE", "other", 0.4, 0.9997),
        ],
    }
    return [name, dob, sex, location, nhs, contact]


# Blocking keys: (column, SQL rule). A pair is scored when any rule holds; each key is dropped for blocks larger than
# ``max_block_size`` records.
BLOCKING_KEYS: tuple[tuple[str, str], ...] = (
    ("b_nhs", "l.b_nhs = r.b_nhs"),
    ("b_dob", "l.b_dob = r.b_dob"),
    ("b_name", "l.b_name = r.b_name"),
    ("b_dob_swap_sx", "l.b_dob_swap_sx = r.b_dob_sx"),
    ("b_dob_swap_sx", "l.b_dob_sx = r.b_dob_swap_sx"),
    ("b_fam_year", "l.b_fam_year = r.b_fam_year"),
    ("b_sx_month", "l.b_sx_month = r.b_sx_month"),
    ("b_given_ym", "l.b_given_ym = r.b_given_ym"),
    ("b_postcode", "l.b_postcode = r.b_postcode"),
    ("b_address", "l.b_address = r.b_address"),
    ("b_phone", "l.b_phone = r.b_phone"),
    ("b_email", "l.b_email = r.b_email"),
)

MODEL_COLUMNS: tuple[str, ...] = (
    "nhs",
    "nhs_valid",
    "given",
    "given_canon",
    "given_alts",
    "family",
    "family_canon",
    "dob",
    "dob_year",
    "dob_month",
    "dob_day",
    "sex",
    "postcode",
    "pc_sector",
    "pc_district",
    "address",
    "phone",
    "email",
    "local_id",
)


def _cap(key: pd.Series, max_block_size: int) -> pd.Series:
    counts = key.map(key.value_counts())
    return key.where(counts <= max_block_size)


def _sorted_pair(a: pd.Series, b: pd.Series) -> pd.Series:
    a = a.astype("string")
    b = b.astype("string")
    lo = a.where((a <= b) | b.isna(), b)
    hi = b.where((a <= b) | b.isna(), a)
    both = a.notna() & b.notna()
    return (lo + "|" + hi).where(both)


def blocking_keys(norm: pd.DataFrame, max_block_size: int) -> pd.DataFrame:
    """Blocking key columns for the model input (see ``BLOCKING_KEYS``)."""
    out = pd.DataFrame(index=norm.index)
    out["b_nhs"] = norm["nhs"].astype("string")
    dob = norm["dob"].astype("string")
    out["b_dob"] = dob
    y = norm["dob_year"].astype("string")
    m = norm["dob_month"].astype("string").str.zfill(2)
    d = norm["dob_day"].astype("string").str.zfill(2)
    swap_ok = dob.notna() & (norm["dob_day"] <= 12).fillna(False) & (norm["dob_day"] != norm["dob_month"]).fillna(False)
    dob_swap = (y + "-" + d + "-" + m).where(swap_ok)
    out["b_name"] = _sorted_pair(norm["given_canon"], norm["family_canon"])
    uniq_sx: dict[str, str | None] = {}

    def sx(series: pd.Series) -> pd.Series:
        values = series.astype("string")
        for v in values.dropna().unique():
            if v not in uniq_sx:
                uniq_sx[v] = soundex(v)
        return values.map(uniq_sx).astype("string")

    fam_sx = sx(norm["family"])
    given_sx = sx(norm["given_canon"])
    given_initial = norm["given_canon"].astype("string").str[:1]
    fam_year = fam_sx + "|" + y + "|" + given_initial
    out["b_fam_year"] = fam_year.where(fam_sx.notna() & y.notna() & given_initial.notna())
    sx_pair = _sorted_pair(given_sx, fam_sx)
    out["b_sx_month"] = (sx_pair + "|" + m).where(sx_pair.notna() & m.notna())
    # a day/month transposition with a name typo: the transposed date plus the sounds of the names
    out["b_dob_sx"] = (dob + "|" + sx_pair).where(dob.notna() & sx_pair.notna())
    out["b_dob_swap_sx"] = (dob_swap + "|" + sx_pair).where(dob_swap.notna() & sx_pair.notna())
    given_canon = norm["given_canon"].astype("string")
    out["b_given_ym"] = (given_canon + "|" + y + "-" + m).where(given_canon.notna() & y.notna() & m.notna())
    out["b_postcode"] = norm["postcode"].astype("string")
    out["b_address"] = norm["address"].astype("string")
    out["b_phone"] = norm["phone"].astype("string")
    out["b_email"] = norm["email"].astype("string")
    for col in out.columns:
        out[col] = _cap(out[col], max_block_size).astype("object").where(out[col].notna(), None)
    return out


def model_input(norm: pd.DataFrame, is_new: pd.Series, settings: LinkageSettings) -> pd.DataFrame:
    """The table Splink reads: an integer ``unique_id`` (row position), compared columns, blocking keys, ``is_new``."""
    frame = norm.loc[:, list(MODEL_COLUMNS)].copy()
    for col in ("given", "given_canon", "given_alts", "family", "family_canon", "dob", "sex", "postcode", "pc_sector"):
        frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
    for col in ("pc_district", "address", "nhs", "phone", "email", "local_id"):
        frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
    frame = frame.join(blocking_keys(norm, settings.max_block_size))
    frame["is_new"] = is_new.to_numpy(dtype=bool)
    frame.insert(0, "unique_id", np.arange(len(frame), dtype=np.int64))
    return frame.reset_index(drop=True)


# The columns each comparison reads: a comparison whose columns are empty in the whole input cannot say anything,
# and left in it makes Splink's EM fail, so it is dropped for that run.
COMPARISON_INPUTS: dict[str, tuple[str, ...]] = {
    "name": ("given", "family"),
    "dob": ("dob_year",),
    "sex": ("sex",),
    "location": ("postcode", "address"),
    "nhs_number": ("nhs",),
    "contact": ("phone", "email"),
}


def usable_comparisons(frame: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The comparisons with data behind them: at least two records hold one of the comparison's columns."""
    out = []
    for comparison in comparisons():
        columns = COMPARISON_INPUTS[comparison["output_column_name"]]
        if frame is None or sum(int(frame[c].notna().sum()) for c in columns if c in frame.columns) >= 2:
            out.append(comparison)
    return out


def splink_settings(incremental: bool, frame: pd.DataFrame | None = None) -> dict[str, Any]:
    suffix = " AND (l.is_new OR r.is_new)" if incremental else ""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": usable_comparisons(frame),
        "blocking_rules_to_generate_predictions": [rule + suffix for _, rule in BLOCKING_KEYS],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": False,
        "probability_two_random_records_match": 0.0001,
        "em_convergence": 0.001,
        "max_iterations": 20,
    }


_INTEGER_COLUMNS = ("unique_id", "dob_year", "dob_month", "dob_day")
_BOOLEAN_COLUMNS = ("nhs_valid", "is_new")


def _typed(frame: pd.DataFrame) -> Any:
    """An Arrow table with explicit types: a column empty in every row must still be text, not DuckDB's NULL type
    (Splink silently drops comparisons on NULL-typed columns)."""
    import pyarrow as pa

    fields = []
    for col in frame.columns:
        if col in _INTEGER_COLUMNS:
            fields.append(pa.field(col, pa.int64()))
        elif col in _BOOLEAN_COLUMNS:
            fields.append(pa.field(col, pa.bool_()))
        else:
            fields.append(pa.field(col, pa.string()))
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


@dataclass
class Nodes:
    """Records grouped for scoring: one *node* per identity, where an identity is the records of one source whose
    compared values (``MODEL_COLUMNS``, as cleaned) are all equal, and two of them would be linked.

    A record identical to another scores the same against every third record, so scoring one record per identity
    and sharing its pairs gives the same probabilities with far fewer pairs (the demo county: 213,345 records, 61,263
    identities; a frequent contacter's records are mostly copies of each other). Two identical records are one node
    only when the model links such a pair (``self_probability`` at or above the match threshold: an identical pair
    with a name and nothing else is not a match); otherwise each is its own node and they are scored pairwise, as
    any two records are. Nodes are numbered in the order of their first record (``anchor``), so anchors increase
    with the node number.
    """

    node: np.ndarray  # the node of each record (int64, record order)
    anchor: np.ndarray  # each node's first record (its position; the record that stands for it in stored links)
    size: np.ndarray  # records per node
    self_probability: np.ndarray  # per node: the probability of a pair of its records (NaN for one-record nodes)


@dataclass
class ScoredPairs:
    """Scored candidate pairs (node numbers: ``nodes`` maps them to records) and how the model was trained."""

    pairs: pd.DataFrame  # unique_id_l, unique_id_r, match_probability, gamma_name, gamma_dob, deterministic
    trained: bool
    model_json: dict[str, Any]
    training_notes: list[str]
    nodes: Nodes | None = None


def _quiet_splink() -> None:
    for name in ("splink", "splink.internals", "duckdb"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _linker(sdf: Any, model: dict[str, Any]) -> Any:
    """A Splink linker from a settings dictionary or saved model: the public way to give Splink its parameters."""
    from splink import Linker

    return Linker(sdf, copy.deepcopy(model), log_level=None)


def _memory_limit(value: str) -> str:
    """A DuckDB memory size such as ``4GB`` or ``512MB``; anything else is refused before it reaches SQL."""
    text = value.strip().upper().replace(" ", "")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)", text):
        raise ValueError("linkage memory_limit must be a size such as 4GB or 512MB")
    return text


def configure_connection(con: Any, settings: LinkageSettings, spill_dir: Path | None) -> None:
    """Threads, memory and where DuckDB may spill. DuckDB spills an in-memory database to ``.tmp`` in the working
    directory by default: blocked pairs are identifiable, so they spill into ``spill_dir`` (in the identity zone)
    or, without one, not at all."""
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{_memory_limit(settings.memory_limit)}'")
    if spill_dir is not None:
        spill_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{_quoted(spill_dir)}'")
    else:
        con.execute("SET temp_directory = ''")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def score_pairs(
    frame: pd.DataFrame,
    settings: LinkageSettings,
    incremental: bool,
    spill_dir: Path | None = None,
    *,
    sources: np.ndarray | None = None,
    singles: np.ndarray | None = None,
) -> ScoredPairs:
    """Train (when there is enough data) on every record, then score one record per identity (:class:`Nodes`);
    returns node pairs above ``keep_pairs_above`` and the nodes.

    ``frame`` is :func:`model_input` of every record (``is_new``: the records to score). ``sources`` (the record's
    agency) is part of an identity; ``singles`` marks records that must be nodes of their own (those a reviewer
    called different from another record). A node is scored when any of its records is new.

    Splink is driven through its public interface only: training runs on one linker, its result is read back with
    ``save_model_to_json``, adjusted here as a plain dictionary (prior cap, unobserved levels, u correction,
    household-evidence cap) and loaded into fresh linkers that score the identities and the nodes. Nothing sets a
    private attribute, so a Splink release that reorganises its internals cannot silently change what it scores.
    """
    import duckdb
    from splink import DuckDBAPI

    _quiet_splink()
    con = duckdb.connect(":memory:")
    configure_connection(con, settings, spill_dir)
    db_api = DuckDBAPI(con)
    sdf = db_api.register(_typed(frame), table_name="linkage_records")
    model = splink_settings(incremental, frame)
    notes: list[str] = []
    n = len(frame)
    trained = False
    if n >= settings.min_records_for_training:
        trained, model = _train(sdf, model, frame, settings, notes)
    else:
        # A small file says little about how many of its pairs match; two in ten thousand keeps a shared name and
        # sex (nothing else) in clerical review while a nickname with a transposed date of birth still links.
        model["probability_two_random_records_match"] = SMALL_INPUT_PRIOR
        notes.append(f"{n} records: below {settings.min_records_for_training}, expert default parameters used")
    model = cap_household_evidence(model)

    identity = _identities(frame, sources, singles)
    first = _first_positions(identity)
    keys = blocking_keys(frame.iloc[first].reset_index(drop=True), settings.max_block_size)
    self_probability = _self_probabilities(db_api, con, frame, identity, first, keys, model, settings)
    nodes = _nodes(identity, self_probability, settings.match_threshold)
    node_new = np.zeros(len(nodes.anchor), dtype=bool)
    node_new[nodes.node[frame["is_new"].to_numpy(dtype=bool)]] = True
    node_frame = frame.iloc[nodes.anchor].reset_index(drop=True)
    node_keys = keys.iloc[identity[nodes.anchor]].reset_index(drop=True)
    for col in node_keys.columns:
        node_frame[col] = node_keys[col].to_numpy(dtype=object)
    node_frame["is_new"] = node_new
    node_frame["unique_id"] = np.arange(len(node_frame), dtype=np.int64)
    node_sdf = db_api.register(_typed(node_frame), table_name="linkage_nodes")
    linker = _linker(node_sdf, model)
    pairs = _predict(con, linker, settings.keep_pairs_above)
    model_json = linker.misc.save_model_to_json()
    con.close()
    pairs = _apply_deterministic(pairs, (settings.match_threshold + settings.review_threshold) / 2)
    pairs = _add_local_id_links(pairs, node_frame)
    return ScoredPairs(pairs=pairs, trained=trained, model_json=model_json, training_notes=notes, nodes=nodes)


_GAMMAS = ("name", "dob", "sex", "nhs_number")


def _predict(con: Any, linker: Any, threshold: float | None) -> pd.DataFrame:
    """Splink's predictions as ``unique_id_l, unique_id_r, match_probability`` and the gammas the rules read."""
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    available = {row[0] for row in con.execute(f"DESCRIBE {predictions.physical_name}").fetchall()}
    # a comparison whose columns are empty everywhere may be left out of Splink's output: treat it as null (-1)
    gammas = [f"gamma_{g}" if f"gamma_{g}" in available else f"-1 AS gamma_{g}" for g in _GAMMAS]
    rel = con.sql(
        f"SELECT unique_id_l, unique_id_r, match_probability, {', '.join(gammas)} FROM {predictions.physical_name}"
    )
    # gamma levels are small integers: int8, not int64 (four 8-byte columns for each of millions of pairs)
    return rel.df().astype({"match_probability": np.float64, **{g.split(" AS ")[-1]: np.int8 for g in gammas}})


def _identities(frame: pd.DataFrame, sources: np.ndarray | None, singles: np.ndarray | None) -> np.ndarray:
    """Each record's identity number: equal source and equal compared values (exactly, nulls equal), numbered in
    order of first appearance; a record in ``singles`` is an identity of its own."""
    columns = {c: frame[c] for c in MODEL_COLUMNS}
    columns["_source"] = pd.Series(sources if sources is not None else np.zeros(len(frame)), index=frame.index)
    single = np.asarray(singles, dtype=bool) if singles is not None else np.zeros(len(frame), dtype=bool)
    columns["_single"] = pd.Series(np.where(single, np.arange(len(frame)), -1), index=frame.index)
    table = pd.DataFrame(columns)
    return table.groupby(list(table.columns), dropna=False, sort=False).ngroup().to_numpy(dtype=np.int64)


def _first_positions(labels: np.ndarray) -> np.ndarray:
    """The first position of each label 0..k-1 (labels numbered in order of first appearance)."""
    _, first = np.unique(labels, return_index=True)
    return first.astype(np.int64)


def _self_probabilities(
    db_api: Any,
    con: Any,
    frame: pd.DataFrame,
    identity: np.ndarray,
    first: np.ndarray,
    keys: pd.DataFrame,
    model: dict[str, Any],
    settings: LinkageSettings,
) -> np.ndarray:
    """For each identity of two or more records, the probability the model gives a pair of its records (NaN when
    it has one record, or when no blocking key would put two of its records together, as none would then be
    scored). Scored by Splink on the identity and a copy of it, blocked on nothing else, with the same model; then
    the deterministic rules apply as to any pair (a valid NHS number or the trust's patient number: 1)."""
    size = np.bincount(identity, minlength=len(first))
    blocked = keys.notna().any(axis=1).to_numpy()
    multi = np.flatnonzero((size > 1) & blocked)
    out = np.full(len(first), np.nan)
    if not len(multi):
        return out
    rows = frame.iloc[first[multi]].reset_index(drop=True)
    twins = pd.concat([rows, rows], ignore_index=True)
    twins["unique_id"] = np.arange(len(twins), dtype=np.int64)
    twins["twin"] = np.concatenate([np.arange(len(rows)), np.arange(len(rows))]).astype(str)
    twins["is_new"] = True
    sdf = db_api.register(_typed(twins), table_name="linkage_identity_twins")
    twin_model = copy.deepcopy(model)
    twin_model["blocking_rules_to_generate_predictions"] = ["l.twin = r.twin"]
    pairs = _predict(con, _linker(sdf, twin_model), None)
    pairs = _apply_deterministic(pairs, (settings.match_threshold + settings.review_threshold) / 2)
    probability = pairs["match_probability"].to_numpy(dtype=np.float64)
    which = pairs["unique_id_l"].to_numpy(dtype=np.int64) % len(rows)
    local = rows["local_id"].notna().to_numpy()
    result = np.full(len(rows), np.nan)
    result[which] = probability
    result[local] = 1.0  # the trust's own number, the same on both: linked deterministically (local_id_links)
    out[multi] = result
    return out


def _nodes(identity: np.ndarray, self_probability: np.ndarray, match_threshold: float) -> Nodes:
    """One node per identity the model links to itself, one per record otherwise (see :class:`Nodes`)."""
    n = len(identity)
    collapsed = self_probability >= match_threshold  # NaN compares false
    key = np.where(collapsed[identity], identity, len(self_probability) + np.arange(n, dtype=np.int64))
    node = pd.factorize(key, sort=False)[0].astype(np.int64)
    anchor = _first_positions(node)
    size = np.bincount(node).astype(np.int64)
    node_self = np.where(size > 1, self_probability[identity[anchor]], np.nan)
    return Nodes(node=node, anchor=anchor, size=size, self_probability=node_self)


def _corroborated(frame: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Does anything else about the two records agree, or at least not contradict? The same rule as for a shared NHS
    number: a name that agrees (given, family, or the two swapped), or dates of birth that could be one person's
    (equal, transposed, one slip apart) or that are missing on either side."""
    from pipelines.linkage.spine import dates_compatible

    def col(name: str) -> np.ndarray:
        return frame[name].to_numpy(dtype=object)

    given, family = col("given_canon"), col("family_canon")
    family_raw, dob = col("family"), col("dob")

    def agrees(a: int, b: int) -> bool:
        same_given = given[a] is not None and given[a] == given[b]
        same_family = family_raw[a] is not None and family_raw[a] == family_raw[b]
        swapped = given[a] is not None and family[a] is not None and given[a] == family[b] and family[a] == given[b]
        dates_fit = dob[a] is None or dob[b] is None or dates_compatible(dob[a], dob[b])
        return same_given or same_family or swapped or dates_fit

    out = np.fromiter((agrees(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True)), bool, len(left))
    return out


def local_id_links(frame: pd.DataFrame) -> pd.DataFrame:
    """Deterministic links from the trust's patient number: ``unique_id_l, unique_id_r`` (row positions).

    Within each group of records sharing a number, each record involved in this run (``is_new``) is linked to the
    group's first record that corroborates it (``_corroborated``); a star is enough for clustering, so a patient
    with hundreds of questionnaire items costs one link per item, not one per pair of items.
    """
    if "local_id" not in frame.columns or frame["local_id"].isna().all():
        return pd.DataFrame({"unique_id_l": np.array([], np.int64), "unique_id_r": np.array([], np.int64)})
    held = frame.loc[frame["local_id"].notna(), ["unique_id", "local_id", "is_new"]]
    held = held.sort_values(["local_id", "unique_id"], kind="stable")
    hub = held.groupby("local_id")["unique_id"].transform("first").to_numpy(dtype=np.int64)
    ids = held["unique_id"].to_numpy(dtype=np.int64)
    new = held["is_new"].to_numpy(dtype=bool)
    hub_new = pd.Series(new, index=ids).reindex(hub).to_numpy(dtype=bool)
    todo = (ids != hub) & (new | hub_new)
    left, right = hub[todo], ids[todo]
    ok = _corroborated(frame, left, right)
    links_l, links_r = list(left[ok]), list(right[ok])
    # a record the first one does not corroborate may still be corroborated by another record with the number
    refused = right[~ok]
    if len(refused):
        members = held.groupby("local_id")["unique_id"].agg(list)
        local = frame["local_id"].to_numpy(dtype=object)
        for record in refused.tolist():
            others = np.array([m for m in members[local[record]] if m != record], dtype=np.int64)
            found = others[_corroborated(frame, others, np.full(len(others), record, dtype=np.int64))]
            if len(found):
                links_l.append(int(found[0]))
                links_r.append(int(record))
    lo = np.minimum(links_l, links_r).astype(np.int64)
    hi = np.maximum(links_l, links_r).astype(np.int64)
    return pd.DataFrame({"unique_id_l": lo, "unique_id_r": hi}).drop_duplicates().reset_index(drop=True)


def _add_local_id_links(pairs: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Merge the trust-number links into the scored pairs: probability 1, deterministic, reason local_patient_id."""
    links = local_id_links(frame)
    if not len(links):
        return pairs
    pairs = pairs.astype({"unique_id_l": np.int64, "unique_id_r": np.int64})
    marked = pairs.merge(links.assign(_local=True), on=["unique_id_l", "unique_id_r"], how="left")
    lifted = marked["_local"].eq(True).to_numpy() & ~pairs["deterministic"].to_numpy(dtype=bool)
    pairs.loc[lifted, "match_probability"] = 1.0
    pairs.loc[lifted, "deterministic"] = True
    pairs.loc[lifted, "reason"] = "local_patient_id"
    scored = links.merge(pairs[["unique_id_l", "unique_id_r"]].assign(_scored=True), how="left")
    extra = links[scored["_scored"].ne(True).to_numpy()].assign(
        match_probability=1.0, gamma_name=-1, gamma_dob=-1, deterministic=True, reason="local_patient_id"
    )
    return pd.concat([pairs, extra], ignore_index=True) if len(pairs) else extra.reset_index(drop=True)


def _apply_deterministic(pairs: pd.DataFrame, review_cap: float) -> pd.DataFrame:
    """Valid shared NHS number plus agreement on name or date of birth: a match whatever the other fields say."""
    name_agree = {len(NAME_LEVELS) - 1 - i for i in range(5)}  # exact, nickname, swapped, fuzzy, swapped_fuzzy
    dob_agree = {len(DOB_LEVELS) - 1 - i for i in range(4)}  # exact, transposed, one_typo, partial_agrees
    nhs_valid_exact = len(("valid_exact", "exact", "one_typo", "valid_different", "other")) - 1
    det = (pairs["gamma_nhs_number"] == nhs_valid_exact) & (
        pairs["gamma_name"].isin(name_agree) | pairs["gamma_dob"].isin(dob_agree) | (pairs["gamma_dob"] == -1)
    )
    pairs = pairs.assign(deterministic=det.to_numpy(), reason=np.where(det.to_numpy(), "nhs_number", "model"))
    pairs.loc[det, "match_probability"] = 1.0
    # Clearly different given names with the same family name, sex recorded on both records and no shared
    # identifier is what relatives (twins above all) look like: the other fields cannot link such a pair on their
    # own; at best it goes to clerical review. Without sex on both records the model decides alone (some extracts
    # replace a whole given name by mistake, and then the shared home and date of birth should win).
    given_different = len(NAME_LEVELS) - 1 - NAME_LEVELS.index("given_different")
    nhs_agrees = pairs["gamma_nhs_number"].isin({nhs_valid_exact, nhs_valid_exact - 1, nhs_valid_exact - 2})
    capped = (pairs["gamma_name"] == given_different) & (pairs["gamma_sex"] >= 0) & ~nhs_agrees & ~det
    pairs.loc[capped, "match_probability"] = np.minimum(pairs.loc[capped, "match_probability"], review_cap)
    return pairs.drop(columns=["gamma_nhs_number", "gamma_sex"])


# One pair in twenty matching would mean every record has a duplicate in every twenty records: past that the
# deterministic rules are counting something other than people.
MAX_PRIOR = 0.05
DEFAULT_PRIOR = 0.0001
SMALL_INPUT_PRIOR = 0.0002


def _train(
    sdf: Any, model: dict[str, Any], frame: pd.DataFrame, settings: LinkageSettings, notes: list[str]
) -> tuple[bool, dict[str, Any]]:
    """Prior from deterministic rules, u from random pairs, m from two EM sessions (blocked on dob, then on name).

    A session whose blocking columns are (almost) empty is skipped, and a session that fails leaves the model as it
    was before it (Splink can otherwise leave a half-trained model behind): the model saved before the session is
    loaded into a fresh linker. Returns whether every step trained, and the trained model as a dictionary.
    """
    linker = _linker(sdf, model)
    ok = True
    try:
        linker.training.estimate_probability_two_random_records_match(
            [
                "l.nhs = r.nhs AND (l.dob = r.dob OR l.family = r.family OR (l.nhs_valid AND r.nhs_valid))",
                "l.given = r.given AND l.family = r.family AND l.dob = r.dob",
                "l.family = r.family AND l.dob = r.dob AND l.postcode = r.postcode",
            ],
            recall=0.8,
        )
    except Exception as exc:
        notes.append(f"prior estimation failed ({type(exc).__name__}); default prior kept")
        ok = False
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_max_pairs, seed=settings.seed)
    except Exception as exc:
        notes.append(f"u estimation failed ({type(exc).__name__}); default u kept")
        ok = False
    sessions = (
        ("l.dob = r.dob", frame["dob"].notna()),
        ("l.given = r.given AND l.family = r.family", frame["given"].notna() & frame["family"].notna()),
    )
    for rule, usable in sessions:
        if int(usable.sum()) < 50:
            notes.append(f"EM blocked on [{rule}] skipped: too few records hold those values")
            continue
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=settings.em_max_pairs, record_sample_proportion=0.05
            )
        except Exception as exc:
            linker = _linker(sdf, before)
            notes.append(f"EM blocked on [{rule}] failed ({type(exc).__name__}); default m kept for its comparisons")
            ok = False
    trained = linker.misc.save_model_to_json()
    trained = checked_prior(trained, notes)
    trained = guard_probabilities(trained)
    trained = decontaminate_u(trained)
    return ok, trained


def checked_prior(model: dict[str, Any], notes: list[str] | None = None) -> dict[str, Any]:
    """The prior as trained, unless it is not a probability (then the default) or implausibly high (then capped)."""
    out = copy.deepcopy(model)
    prior = out.get("probability_two_random_records_match")
    if not (isinstance(prior, float | int) and 0 < prior < 1 and math.isfinite(prior)):
        out["probability_two_random_records_match"] = DEFAULT_PRIOR
    elif prior > MAX_PRIOR:
        if notes is not None:
            notes.append(f"prior {prior:.3g} above {MAX_PRIOR}: capped")
        out["probability_two_random_records_match"] = MAX_PRIOR
    return out


def _levels(model: dict[str, Any], only: tuple[str, ...] | None = None):
    """(comparison name, level) for every non-null level of the model dictionary, in order."""
    for comparison in model["comparisons"]:
        name = comparison.get("output_column_name")
        if only is not None and name not in only:
            continue
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                yield name, level


# A shared home is household evidence as much as identity evidence: relatives share the address, the postcode and
# often the family name, so the independence the model assumes fails exactly there. The Bayes factor of any
# location level is capped (2**11), so a shared home alone can never outweigh a disagreeing date of birth or given
# name; it still decides between otherwise close candidates.
MAX_LOCATION_BAYES_FACTOR = 2048.0


def cap_household_evidence(model: dict[str, Any]) -> dict[str, Any]:
    """Raise u where m/u would exceed ``MAX_LOCATION_BAYES_FACTOR`` on the location and contact comparisons."""
    out = copy.deepcopy(model)
    for _, level in _levels(out, only=("location", "contact")):
        m, u = level.get("m_probability"), level.get("u_probability")
        if isinstance(m, float | int) and isinstance(u, float | int):
            level["u_probability"] = max(float(u), float(m) / MAX_LOCATION_BAYES_FACTOR)
    return out


def decontaminate_u(model: dict[str, Any]) -> dict[str, Any]:
    """Remove the true matches hidden among 'random' pairs from the u estimates.

    Random sampling assumes every sampled pair is a non-match; in a small extract of frequent attenders a random
    pair is a match with probability lambda (the prior), so u(level) is observed as (1 - lambda) u + lambda m. We
    invert that mixture, which matters for small inputs (a week of data) and vanishes at scale.
    """
    out = copy.deepcopy(model)
    lam = float(out.get("probability_two_random_records_match") or 0.0)
    if not 0 < lam < 0.5:
        return out
    for comparison in out["comparisons"]:
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        if not all(isinstance(lvl.get("m_probability"), float | int) for lvl in levels) or not all(
            isinstance(lvl.get("u_probability"), float | int) for lvl in levels
        ):
            continue
        corrected = [
            max(
                (float(lvl["u_probability"]) - lam * float(lvl["m_probability"])) / (1 - lam),
                float(lvl["u_probability"]) * 0.02,
                1e-9,
            )
            for lvl in levels
        ]
        total = sum(corrected)
        for level, u in zip(levels, corrected, strict=True):
            level["u_probability"] = u / total
    return out


def guard_probabilities(model: dict[str, Any]) -> dict[str, Any]:
    """A level EM or sampling never observed keeps its expert default rather than an impossible (zero) weight.

    Splink leaves such a level's m or u out of the saved model (or marks it unobserved); each gets the default from
    ``comparisons()``, or a tiny probability when there is none.
    """
    defaults = {
        (c["output_column_name"], lvl["label_for_charts"]): (lvl.get("m_probability"), lvl.get("u_probability"))
        for c in comparisons()
        for lvl in c["comparison_levels"]
    }
    out = copy.deepcopy(model)
    for name, level in _levels(out):
        default_m, default_u = defaults.get((name, level.get("label_for_charts")), (None, None))
        m, u = level.get("m_probability"), level.get("u_probability")
        if not isinstance(m, float | int) or not m > 0 or not math.isfinite(m):
            level["m_probability"] = default_m if default_m is not None else 1e-6
        if not isinstance(u, float | int) or not u > 0 or not math.isfinite(u):
            level["u_probability"] = default_u if default_u is not None else 1e-7
    return out
