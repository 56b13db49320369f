"""The identity spine: every agency record mapped to a stable person id, kept in the identifiable zone.

Stability is the point. A person id printed in last month's evaluation must mean the same person this month, so:

- Records already in the spine keep their person id. Only new records are scored (against everything and each
  other); links accepted in earlier runs are replayed first, so an unchanged spine reproduces itself exactly.
- When a later delivery corrects a record's identifiers (an agency fixes a mistyped NHS number, a name, a date of
  birth), the stored values are updated, the record's old links are dropped and it is scored again like a new
  record. If that moves it to another person, merges two people or splits one, the event says "identifiers
  corrected in a later delivery"; ``spine_corrections.csv`` lists each corrected record with the names of the fields
  that changed (never the values) and its person id before and after.
- When a new record bridges two existing people, they merge: the oldest person id (lowest number) survives, and a
  ``merge`` event records both ids, the reason and the run. When a clerical decision separates records, the part
  holding most of the person's records keeps the id, the rest get new ids, and a ``split`` event says why.
- Clustering is greedy and constrained: links are accepted strongest first, and a link is refused when it would put
  two different valid NHS numbers, or two records a reviewer called different people, in one person.
- Two alternative linkages sit beside the standard person, for sensitivity analyses only (``person_id_strict``,
  ``person_id_lenient``; :func:`alternative_person_ids`). They nest: a strict person is part of one standard person,
  a lenient person is one or more whole standard people. The standard person id never depends on them.

- Records of one agency with the same values are scored once, as one node (``pipelines.linkage.model.Nodes``): a
  link joins two nodes and is stored between their first records (anchors); a replayed link stands for the anchor's
  whole node of its run, so a node split later (a decision, a correction) keeps its links.

Files in ``identity_dir`` (identifiable zone only): ``spine_records.parquet`` (record -> person id, the identity
values compared, its node's anchor and probability), ``spine_links.parquet`` (accepted links between anchors),
``spine_events.csv`` (runs, merges, splits: counts and ids only), ``spine_corrections.csv`` (records whose identifiers
a later delivery corrected: field names and ids), ``clerical_review.csv`` (pairs for a person to decide),
``clerical_decisions.csv`` (their decisions), ``model.json`` (the last trained Splink model).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.normalise import CANONICAL_COLUMNS, OPTIONAL_COLUMNS, normalise_records, split_full_name
from pipelines.linkage.quality import linkage_quality
from pipelines.ops.atomic import append_csv, write_csv, write_parquet, write_text

if TYPE_CHECKING:
    from pipelines.linkage.model import Nodes

logger = logging.getLogger(__name__)

IDENTITY_COLUMNS: tuple[str, ...] = (
    *(c for c in CANONICAL_COLUMNS if c not in ("record_id", "source")),
    *OPTIONAL_COLUMNS,
)
RECORDS_FILE = "spine_records.parquet"
LINKS_FILE = "spine_links.parquet"
EVENTS_FILE = "spine_events.csv"
REVIEW_FILE = "clerical_review.csv"
DECISIONS_FILE = "clerical_decisions.csv"
CORRECTIONS_FILE = "spine_corrections.csv"
MODEL_FILE = "model.json"
EVENT_COLUMNS = ("run_id", "at", "event", "person_id", "other_person_id", "n_records", "reason")
CORRECTION_COLUMNS = ("run_id", "at", "source", "record_id", "fields", "person_id_before", "person_id_after")
CORRECTED = "identifiers corrected in a later delivery"
# identity column -> the cleaned columns that say whether its value changed in meaning, not just in spelling
_CLEANED = {
    "nhs_number": ("nhs",),
    "given_name": ("given",),
    "family_name": ("family",),
    "date_of_birth": ("dob", "dob_year", "dob_month", "dob_day"),
    "sex": ("sex",),
    "postcode": ("postcode",),
    "address": ("address",),
    "phone": ("phone",),
    "email": ("email",),
    "local_patient_id": ("local_id",),
}
DECISION_VALUES = ("match", "non_match")
_SEP = "\x1f"


@dataclass
class SpineResult:
    """What a spine build did: the mapping for the records given, and counts (no identifiers beyond ids)."""

    # source, record_id, person_id, person_id_strict, person_id_lenient: one row per input record, in input order
    mapping: pd.DataFrame
    run_id: str
    n_records_in_spine: int
    n_new_records: int
    n_people: int
    n_merges: int
    n_splits: int
    n_review_pairs: int
    n_links_refused: int
    # scored pairs of this run, for the estimate without truth (empty when truth was given): source_l/r
    # (categorical), match_probability, linked, weight (the record pairs a node pair stands for); the anchors'
    # positions l, r in the stored spine's order (l == r: two records of one node)
    pairs: pd.DataFrame
    quality: pd.DataFrame | None
    training_notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    n_corrected: int = 0  # records whose identifiers a later delivery corrected (stored values updated, re-scored)
    n_relinked: int = 0  # of those, records whose person id changed


def prepare_records(records: pd.DataFrame, what: str = "input") -> pd.DataFrame:
    """Validate and tidy the canonical linkage input: strings, stripped, empty -> missing.

    A ``full_name`` column stands in for ``given_name``/``family_name`` when those are absent (or fills them where
    empty). A missing column raises ``ValueError`` naming the column, never a value.
    """
    frame = records.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "full_name" in frame.columns:
        split = split_full_name(frame["full_name"])
        for col in ("given_name", "family_name"):
            if col not in frame.columns:
                frame[col] = split[col]
            else:
                empty = frame[col].isna() | frame[col].astype("string").str.strip().eq("")
                frame[col] = frame[col].where(~empty, split[col])
    missing = [c for c in CANONICAL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s): {', '.join(missing)}")
    out = pd.DataFrame(index=frame.index)
    for col in (*CANONICAL_COLUMNS, *OPTIONAL_COLUMNS):
        if col not in frame.columns:  # optional contact columns
            out[col] = None
            continue
        text = frame[col].astype("string").str.strip()
        text = text.mask(text.eq("") | text.str.lower().isin(["nan", "none", "null", "n/a", "na"]))
        out[col] = text.astype("object").where(text.notna(), None)
    if out["record_id"].isna().any():
        rows = out.index[out["record_id"].isna()].tolist()[:5]
        raise ValueError(f"{what}: column record_id is empty on row(s) {rows}")
    out["source"] = out["source"].where(out["source"].notna(), "")
    return out.reset_index(drop=True)


def _key(source: pd.Series, record_id: pd.Series) -> pd.Series:
    return source.astype(str) + _SEP + record_id.astype(str)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_events(identity_dir: Path) -> pd.DataFrame:
    path = identity_dir / EVENTS_FILE
    if path.exists():
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame(columns=list(EVENT_COLUMNS))


def read_decisions(identity_dir: Path) -> pd.DataFrame:
    """Recorded clerical decisions (``source_l, record_id_l, source_r, record_id_r, decision, decided_at``)."""
    path = identity_dir / DECISIONS_FILE
    if path.exists():
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame(columns=["source_l", "record_id_l", "source_r", "record_id_r", "decision", "decided_at"])


def record_decisions(identity_dir: Path, decisions: pd.DataFrame) -> int:
    """Validate and store reviewer decisions; the next build (or ``apply``) respects them. Returns rows stored.

    ``decisions`` needs ``record_id_l, record_id_r, decision`` (``match`` or ``non_match``); ``source_l/source_r``
    are needed only where a record id is used by more than one source. A later decision on a pair replaces an
    earlier one.
    """
    frame = decisions.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("record_id_l", "record_id_r", "decision") if c not in frame.columns]
    if missing:
        raise ValueError(f"decisions: missing required column(s): {', '.join(missing)}")
    frame["decision"] = frame["decision"].astype(str).str.strip().str.lower().str.replace("-", "_")
    frame = frame[frame["decision"].ne("") & frame["decision"].ne("nan")]
    bad = ~frame["decision"].isin(DECISION_VALUES)
    if bad.any():
        rows = frame.index[bad].tolist()[:5]
        raise ValueError(f"decisions: column decision must be 'match' or 'non_match' (row(s) {rows})")
    records_path = identity_dir / RECORDS_FILE
    if not records_path.exists():
        raise ValueError(f"decisions: no spine in {identity_dir} to apply them to")
    spine = pd.read_parquet(records_path, columns=["source", "record_id"])
    by_id = spine.groupby("record_id")["source"].agg(list)
    for side in ("l", "r"):
        ids = frame[f"record_id_{side}"].astype(str).str.strip()
        frame[f"record_id_{side}"] = ids
        if f"source_{side}" in frame.columns:
            frame[f"source_{side}"] = frame[f"source_{side}"].fillna("").astype(str).str.strip()
            continue
        sources = ids.map(by_id)
        unknown = sources.isna()
        if unknown.any():
            rows = frame.index[unknown].tolist()[:5]
            raise ValueError(f"decisions: record_id_{side} not in the spine (row(s) {rows})")
        ambiguous = sources.map(len) > 1
        if ambiguous.any():
            rows = frame.index[ambiguous].tolist()[:5]
            raise ValueError(
                f"decisions: record_id_{side} is used by several sources; add source_{side} (row(s) {rows})"
            )
        frame[f"source_{side}"] = sources.map(lambda s: s[0])
    frame["decided_at"] = _now()
    cols = ["source_l", "record_id_l", "source_r", "record_id_r", "decision", "decided_at"]
    combined = pd.concat([read_decisions(identity_dir), frame[cols]], ignore_index=True)
    a = _key(combined["source_l"], combined["record_id_l"])
    b = _key(combined["source_r"], combined["record_id_r"])
    combined["_pair"] = np.where(a <= b, a + "|" + b, b + "|" + a)
    combined = combined.drop_duplicates("_pair", keep="last").drop(columns="_pair")
    identity_dir.mkdir(parents=True, exist_ok=True)
    write_csv(combined, identity_dir / DECISIONS_FILE)
    return len(frame)


def dates_compatible(a: str, b: str) -> bool:
    """Could two ISO dates of birth be one person's? Equal, day/month transposed, or one keying slip apart."""
    if a == b:
        return True
    if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return True
    diff = [i for i in range(min(len(a), len(b))) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


class _Clusters:
    """Union-find with cannot-link constraints.

    A person has one NHS number and one date of birth: two clusters whose valid NHS numbers differ are never
    joined, nor are records a reviewer called different people. Two clusters whose full dates of birth are all
    incompatible (not equal, transposed or one slip apart) are not joined through a link that could not see the
    dates (one of its two records has none): this stops one weak link (a shared common name on a record with no
    date of birth) from chaining two people together. A link between two dated records was scored with the dates
    in view, so the model's judgement stands.
    """

    MAX_DATES = 8

    def __init__(
        self, n: int, nhs_valid: list[str | None], dobs: list[str | None], forbid: dict[int, set[int]]
    ) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {}
        self.nhs: dict[int, set[str]] = {i: {v} for i, v in enumerate(nhs_valid) if v}
        self.record_dob = dobs
        self.dobs: dict[int, set[str]] = {i: {v} for i, v in enumerate(dobs) if v}
        self.forbid = forbid
        self._compatible: dict[tuple[str, str], bool] = {}

    def _dates_conflict(self, da: set[str], db: set[str]) -> bool:
        for a in da:
            for b in db:
                key = (a, b) if a <= b else (b, a)
                ok = self._compatible.get(key)
                if ok is None:
                    ok = self._compatible[key] = dates_compatible(a, b)
                if ok:
                    return False
        return True

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def _members(self, root: int) -> list[int]:
        return self.members.get(root, [root])

    def union(self, a: int, b: int, constrained: bool = True) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if constrained:
            na, nb = self.nhs.get(ra), self.nhs.get(rb)
            if na and nb and na.isdisjoint(nb):
                return False
            da, db = self.dobs.get(ra), self.dobs.get(rb)
            blind = not (self.record_dob[a] and self.record_dob[b])
            if blind and da and db and self._dates_conflict(da, db):
                return False
            if self.forbid:
                small, other = (ra, rb) if len(self._members(ra)) <= len(self._members(rb)) else (rb, ra)
                for m in self._members(small):
                    for x in self.forbid.get(m, ()):
                        if self.find(x) == other:
                            return False
        ma, mb = self._members(ra), self._members(rb)
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        self.parent[rb] = ra
        # extended in place: a new list per union copied a large cluster's members every time it grew
        self.members.setdefault(ra, ma).extend(mb)
        self.members.pop(rb, None)
        nb = self.nhs.pop(rb, None)
        if nb:
            self.nhs.setdefault(ra, set()).update(nb)
        db = self.dobs.pop(rb, None)
        if db:
            merged = self.dobs.setdefault(ra, set())
            for value in db:
                if len(merged) >= self.MAX_DATES:
                    break
                merged.add(value)
        return True

    def labels(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)


def _person_number(person_id: str) -> int:
    return int(person_id[1:])


def _format_person(n: int) -> str:
    return f"P{n:09d}"


def build_spine(
    records: pd.DataFrame,
    identity_dir: Path,
    settings: LinkageSettings | None = None,
    truth: pd.DataFrame | None = None,
) -> SpineResult:
    """Link ``records`` into the spine in ``identity_dir`` and return their person ids.

    ``records`` has the canonical columns (``record_id, source, nhs_number, given_name, family_name,
    date_of_birth, sex, postcode, address``; ``full_name`` may replace the two name columns). Records already in
    the spine keep their person id unless their identifiers changed: then the stored values are updated and the
    record is matched again (see the module docstring); new ones are matched incrementally. Pass an empty frame to
    apply newly recorded clerical decisions only. ``truth`` (``record_id``, ``person_id``, optionally ``source`` and
    ``ethnicity_group``) adds a measured quality table; without it the quality table is estimated from match
    probabilities.
    """
    from pipelines.linkage.model import model_input, score_pairs

    settings = settings or LinkageSettings.from_env()
    identity_dir = Path(identity_dir)
    identity_dir.mkdir(parents=True, exist_ok=True)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()

    incoming = (
        prepare_records(records) if len(records.columns) else prepare_records(pd.DataFrame(columns=CANONICAL_COLUMNS))
    )
    incoming_keys = _key(incoming["source"], incoming["record_id"])
    incoming = incoming.assign(_key=incoming_keys.to_numpy())
    deduped = incoming.drop_duplicates("_key", keep="last")

    records_path = identity_dir / RECORDS_FILE
    absent: set[str] = set()  # identity columns an older spine did not store (filled in, not "corrected")
    if records_path.exists():
        spine = pd.read_parquet(records_path)
        for col in ("source", "record_id", *IDENTITY_COLUMNS):
            if col not in spine.columns:
                spine[col] = None
                absent.add(col)
            spine[col] = spine[col].astype("object").where(spine[col].notna(), None)
    else:
        spine = pd.DataFrame(columns=["source", "record_id", *IDENTITY_COLUMNS, "person_id", "first_run_id"])
    spine = spine.reset_index(drop=True)
    spine = spine.assign(_key=_key(spine["source"], spine["record_id"]).to_numpy() if len(spine) else [])
    known = set(spine["_key"])
    new = deduped[~deduped["_key"].isin(known)]
    changed = identity_changes(spine, deduped[deduped["_key"].isin(known)], absent)
    corrected_pos = changed.loc[changed["corrected"], "pos"].to_numpy(dtype=np.int64)
    rescored_pos = changed["pos"].to_numpy(dtype=np.int64)
    if len(changed):
        replacement = deduped.set_index("_key").loc[changed["_key"], list(IDENTITY_COLUMNS)]
        for col in IDENTITY_COLUMNS:
            values = replacement[col].to_numpy(dtype=object)
            spine[col] = spine[col].astype("object")
            spine.loc[rescored_pos, col] = values
    all_records = pd.concat(
        [
            spine[["_key", "source", "record_id", *IDENTITY_COLUMNS]],
            new[["_key", "source", "record_id", *IDENTITY_COLUMNS]],
        ],
        ignore_index=True,
    )
    is_new = np.zeros(len(all_records), dtype=bool)
    is_new[len(spine) :] = True
    is_corrected = np.zeros(len(all_records), dtype=bool)
    is_corrected[corrected_pos] = True
    to_score = is_new.copy()
    to_score[rescored_pos] = True  # a corrected record (or one with a newly stored field) is matched again
    key_to_pos = pd.Series(np.arange(len(all_records)), index=all_records["_key"].to_numpy())
    seconds["prepare"] = time.perf_counter() - t0

    # clerical decisions, as record positions; a record a reviewer called different from another is scored alone
    decisions = read_decisions(identity_dir)
    dec_l = key_to_pos.reindex(_key(decisions["source_l"], decisions["record_id_l"]).to_numpy()).to_numpy()
    dec_r = key_to_pos.reindex(_key(decisions["source_r"], decisions["record_id_r"]).to_numpy()).to_numpy()
    usable = ~(np.isnan(dec_l) | np.isnan(dec_r))
    dec = pd.DataFrame(
        {
            "l": dec_l[usable].astype(np.int64),
            "r": dec_r[usable].astype(np.int64),
            "decision": decisions["decision"][usable].to_numpy(),
        }
    )
    singles = np.zeros(len(all_records), dtype=bool)
    singles[dec.loc[dec["decision"] == "non_match", ["l", "r"]].to_numpy(dtype=np.int64).ravel()] = True
    previous_anchor = _previous_anchors(spine, len(all_records))
    previous_self = _previous_self_probability(spine, len(all_records))

    # score new and corrected records, one record per identity (pipelines.linkage.model.Nodes)
    notes: list[str] = []
    pairs = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability", "deterministic", "reason"])
    norm = None
    nodes: Nodes | None = None
    if to_score.any() and len(all_records) >= 2:
        t = time.perf_counter()
        norm = normalise_records(all_records)
        frame = model_input(norm, pd.Series(to_score), settings)
        seconds["normalise"] = time.perf_counter() - t
        t = time.perf_counter()
        spill = identity_dir / ".linkage_spill"
        try:
            scored = score_pairs(
                frame,
                settings,
                incremental=bool(len(spine)),
                spill_dir=spill,
                sources=all_records["source"].to_numpy(dtype=object),
                singles=singles,
            )
        finally:
            shutil.rmtree(spill, ignore_errors=True)
        pairs = scored.pairs
        nodes = scored.nodes
        notes = scored.training_notes
        write_text(identity_dir / MODEL_FILE, json.dumps(scored.model_json, indent=1, default=str))
        seconds["score"] = time.perf_counter() - t
    if nodes is None:  # nothing scored: the nodes of the last run (a decided record on its own)
        nodes = _stored_nodes(previous_anchor, singles, previous_self)
    node = nodes.node
    anchor = nodes.anchor

    t = time.perf_counter()
    node_dec = pd.DataFrame(
        {"l": node[dec["l"].to_numpy()], "r": node[dec["r"].to_numpy()], "decision": dec["decision"].to_numpy()}
    )
    forbid: dict[int, set[int]] = {}
    for a, b in node_dec.loc[node_dec["decision"] == "non_match", ["l", "r"]].itertuples(index=False):
        forbid.setdefault(int(a), set()).add(int(b))
        forbid.setdefault(int(b), set()).add(int(a))
    nonmatch_pairs = {
        (min(a, b), max(a, b))
        for a, b in node_dec.loc[node_dec["decision"] == "non_match", ["l", "r"]].itertuples(index=False)
    }

    # valid NHS numbers for the cannot-link constraint (a node's records share them)
    if norm is None:
        from pipelines.linkage.normalise import nhs_digits, nhs_number_valid, parse_dates

        digits = nhs_digits(all_records["nhs_number"]) if len(all_records) else pd.Series(dtype=object)
        valid = nhs_number_valid(digits) if len(all_records) else pd.Series(dtype=bool)
        dob = parse_dates(all_records["date_of_birth"])["dob"] if len(all_records) else pd.Series(dtype=object)
    else:
        digits, valid, dob = norm["nhs"], norm["nhs_valid"], norm["dob"]
    nhs_all = [d if v else None for d, v in zip(digits.tolist(), valid.tolist(), strict=True)]
    dob_all = [d if isinstance(d, str) else None for d in dob.tolist()]
    nhs_list = [nhs_all[i] for i in anchor.tolist()]
    dob_list = [dob_all[i] for i in anchor.tolist()]
    clusters = _Clusters(len(anchor), nhs_list, dob_list, forbid)

    # 1) reviewer matches, 2) links accepted in earlier runs (strongest first), 3) this run's links
    for a, b in node_dec.loc[node_dec["decision"] == "match", ["l", "r"]].itertuples(index=False):
        clusters.union(int(a), int(b), constrained=False)
    links_path = identity_dir / LINKS_FILE
    old_links = (
        pd.read_parquet(links_path)
        if links_path.exists()
        else pd.DataFrame(columns=["key_l", "key_r", "match_probability", "reason", "run_id"])
    )
    old = _replayed_links(old_links, key_to_pos, nodes, previous_anchor, previous_self, is_corrected)
    kept_old = np.zeros(len(old), dtype=bool)
    n_refused = 0
    for i, (a, b) in enumerate(old[["l", "r"]].itertuples(index=False)):
        if (min(a, b), max(a, b)) in nonmatch_pairs:
            continue
        kept_old[i] = clusters.union(int(a), int(b))
    pairs = pairs.astype({"unique_id_l": np.int64, "unique_id_r": np.int64}) if len(pairs) else pairs
    candidate = pairs[pairs["match_probability"] >= settings.match_threshold] if len(pairs) else pairs
    candidate = (
        candidate.sort_values(
            ["deterministic", "match_probability", "unique_id_l", "unique_id_r"], ascending=[False, False, True, True]
        )
        if len(candidate)
        else candidate
    )
    accepted = np.zeros(len(candidate), dtype=bool)
    cand_l = candidate["unique_id_l"].to_numpy() if len(candidate) else np.array([], dtype=np.int64)
    cand_r = candidate["unique_id_r"].to_numpy() if len(candidate) else np.array([], dtype=np.int64)
    for i in range(len(candidate)):
        a, b = int(cand_l[i]), int(cand_r[i])
        if (min(a, b), max(a, b)) in nonmatch_pairs:
            continue
        accepted[i] = clusters.union(a, b)
        if not accepted[i]:
            n_refused += 1
    labels = clusters.labels()[node]  # a record's cluster is its node's
    seconds["cluster"] = time.perf_counter() - t

    # person ids: stable for existing people, merges and splits recorded
    t = time.perf_counter()
    events = _read_events(identity_dir)
    old_person = np.array(list(spine["person_id"]) + [None] * int(is_new.sum()), dtype=object)
    person_ids, new_events, next_number = _assign_person_ids(
        labels, old_person, is_new, spine, run_id, dec, corrected=is_corrected
    )
    relinked = is_corrected & (person_ids != old_person)
    new_events.extend(
        {
            "run_id": run_id,
            "at": _now(),
            "event": "relink",
            "person_id": str(person_ids[i]),
            "other_person_id": str(old_person[i]),
            "n_records": "1",
            "reason": CORRECTED,
        }
        for i in np.flatnonzero(relinked)
    )
    seconds["assign"] = time.perf_counter() - t

    # persist
    t = time.perf_counter()
    keys = all_records["_key"].to_numpy()
    # Links join nodes (one per identity: pipelines.linkage.model.Nodes) and are stored between their anchors, the
    # first record of each node; they carry the anchors' positions (``l``, ``r``) beside the keys, so positions
    # stand for keys without looking keys up again. Two records of one node need no stored link: they are one node
    # again next run (their values are the same), and a replayed link stands for its anchor's whole node.
    new_links = pd.DataFrame(
        {
            "key_l": keys[anchor[cand_l[accepted]]],
            "key_r": keys[anchor[cand_r[accepted]]],
            "match_probability": candidate["match_probability"].to_numpy()[accepted] if len(candidate) else [],
            "reason": _link_reasons(candidate)[accepted] if len(candidate) else [],
            "run_id": run_id,
            "l": anchor[cand_l[accepted]].astype(np.int64),
            "r": anchor[cand_r[accepted]].astype(np.int64),
        }
    )
    kept = old[kept_old]
    kept = kept.assign(
        l=anchor[kept["l"].to_numpy()],
        r=anchor[kept["r"].to_numpy()],
        run_id=kept["run_id"].where(kept["run_id"].astype(str) != "", run_id),  # a split node's parts: linked now
    )
    kept = kept.assign(key_l=keys[kept["l"].to_numpy()], key_r=keys[kept["r"].to_numpy()])
    parts = [frame for frame in (kept[list(new_links.columns)], new_links) if len(frame)]
    links = pd.concat(parts, ignore_index=True) if parts else new_links
    # a re-scored node can be linked again to a node it was already linked to: keep the earlier link
    links = links.drop_duplicates(["l", "r"], keep="first").reset_index(drop=True)
    del new_links, parts, old, kept
    # node pairs as their anchors' positions: what the review list, the alternatives and the estimate read
    pairs = _pairs_at_anchors(pairs, anchor)
    # clerical review: undecided pairs between the thresholds whose records are not (yet) one person
    probability = pairs["match_probability"].to_numpy(dtype=np.float64) if len(pairs) else np.zeros(0)
    in_band = (probability >= settings.review_threshold) & (probability < settings.match_threshold)
    review = _review_pairs(
        identity_dir, _pairs_with_keys(pairs[in_band], all_records, settings), all_records, person_ids, dec, settings
    )
    strict_ids, lenient_ids = alternative_person_ids(
        keys,
        person_ids,
        _strict_edges(links, _within_node_links(nodes, links, dec, settings)),
        dec,
        review,
        _Clusters(len(all_records), nhs_all, dob_all, forbid_records(dec)),
        settings,
    )
    links = links.drop(columns=["l", "r"])
    stored = all_records.drop(columns="_key").assign(
        person_id=person_ids,
        person_id_strict=strict_ids,
        person_id_lenient=lenient_ids,
        first_run_id=list(spine["first_run_id"]) + [run_id] * int(is_new.sum()),
        linkage_anchor=anchor[node].astype(np.int64),
        linkage_self_probability=nodes.self_probability[node],
    )
    # links before records: a run killed between the two leaves this run's records out of the spine, so the next run
    # scores them again (the other way round, they would be known records with no links, and split off)
    write_parquet(links, links_path)
    write_parquet(stored, records_path)
    n_people = int(pd.Series(person_ids).nunique())
    run_event = {
        "run_id": run_id,
        "at": _now(),
        "event": "run",
        "person_id": "",
        "other_person_id": "",
        "n_records": str(len(all_records)),
        "reason": f"new_records={int(is_new.sum())} people={n_people} links_refused={n_refused} next={next_number}",
    }
    events = pd.concat([events, pd.DataFrame([*new_events, run_event], columns=list(EVENT_COLUMNS))], ignore_index=True)
    write_csv(events, identity_dir / EVENTS_FILE)
    if len(corrected_pos):
        _append_corrections(identity_dir, run_id, all_records, changed, old_person, person_ids)

    n_review = _write_review(identity_dir, review, all_records)
    seconds["persist"] = time.perf_counter() - t

    incoming_pos = key_to_pos.reindex(incoming["_key"].to_numpy()).to_numpy().astype(np.int64)
    mapping = pd.DataFrame(
        {
            "source": incoming["source"].to_numpy(),
            "record_id": incoming["record_id"].to_numpy(),
            **{
                col: ids[incoming_pos] if len(incoming) else np.array([], dtype=object)
                for col, ids in (
                    ("person_id", person_ids),
                    ("person_id_strict", strict_ids),
                    ("person_id_lenient", lenient_ids),
                )
            },
        }
    )
    quality = None
    standard = mapping[["source", "record_id", "person_id"]]
    # every scored pair with its sources and weight, for the estimate without truth (not built when truth is given)
    pair_out = _pair_sources(pairs, all_records, settings, nodes) if truth is None else pd.DataFrame()
    if truth is not None:
        quality = linkage_quality(standard.drop_duplicates(["source", "record_id"]), truth)
    elif len(pair_out):
        quality = linkage_quality(standard, None, pairs=pair_out)
    seconds["total"] = time.perf_counter() - t0
    n_merges = sum(1 for e in new_events if e["event"] == "merge")
    n_splits = sum(1 for e in new_events if e["event"] == "split")
    logger.info(
        "spine run %s: %d records (%d new, %d corrected), %d people, %d merges, %d splits, %d review pairs",
        run_id,
        len(all_records),
        int(is_new.sum()),
        int(is_corrected.sum()),
        n_people,
        n_merges,
        n_splits,
        n_review,
    )
    return SpineResult(
        mapping=mapping,
        run_id=run_id,
        n_records_in_spine=len(all_records),
        n_new_records=int(is_new.sum()),
        n_people=n_people,
        n_merges=n_merges,
        n_splits=n_splits,
        n_review_pairs=n_review,
        n_links_refused=n_refused,
        pairs=pair_out,
        quality=quality,
        training_notes=notes,
        seconds=seconds,
        n_corrected=int(is_corrected.sum()),
        n_relinked=int(relinked.sum()),
    )


def _assign_person_ids(
    labels: np.ndarray,
    old_person: np.ndarray,
    is_new: np.ndarray,
    spine: pd.DataFrame,
    run_id: str,
    dec: pd.DataFrame,
    corrected: np.ndarray | None = None,
) -> tuple[np.ndarray, list[dict[str, str]], int]:
    """Give each cluster a person id: an existing one where it holds that person's records, else a new one.

    Each existing person has a home cluster (where most of its records now are; ties go to the cluster holding its
    first record). A cluster that is home to several people is a merge: the lowest id survives. A cluster that is
    home to nobody gets a new id; if it holds records of an existing person, that is a split. A merge or split that
    involves a record whose identifiers were corrected (``corrected``) gives that as its reason.
    """
    corrected = np.zeros(len(labels), dtype=bool) if corrected is None else corrected
    frame = pd.DataFrame({"cluster": labels, "pos": np.arange(len(labels)), "is_new": is_new, "corrected": corrected})
    has_old = pd.notna(old_person)
    old_rows = frame[has_old].assign(num=[_person_number(p) for p in old_person[has_old]])
    next_number = int(old_rows["num"].max()) + 1 if len(old_rows) else 1
    home = (
        old_rows.groupby(["num", "cluster"])
        .agg(n=("pos", "size"), first=("pos", "min"))
        .reset_index()
        .sort_values(["num", "n", "first"], ascending=[True, False, True])
        .drop_duplicates("num")
        .sort_values(["cluster", "num"])
    )
    survivors = home.drop_duplicates("cluster").set_index("cluster")["num"]
    absorbed = home[home.duplicated("cluster")]
    clusters = frame.groupby("cluster").agg(
        first=("pos", "min"), size=("pos", "size"), has_new=("is_new", "any"), has_corrected=("corrected", "any")
    )
    corrected_people = set(old_rows.loc[old_rows["corrected"], "num"].tolist())
    orphan = clusters.loc[~clusters.index.isin(survivors.index)].sort_values("first")
    numbers = pd.Series(
        np.concatenate([survivors.to_numpy(dtype=np.int64), np.arange(next_number, next_number + len(orphan))]),
        index=np.concatenate([survivors.index.to_numpy(dtype=np.int64), orphan.index.to_numpy(dtype=np.int64)]),
        dtype=np.int64,
    )
    next_number += len(orphan)
    assigned = numbers.map(_format_person)

    events: list[dict[str, str]] = []
    at = _now()
    clerical_match = bool((dec["decision"] == "match").any()) if len(dec) else False
    clerical_non_match = bool((dec["decision"] == "non_match").any()) if len(dec) else False
    for cluster, num in absorbed[["cluster", "num"]].itertuples(index=False):
        if clusters.at[cluster, "has_corrected"] or int(num) in corrected_people:
            reason = CORRECTED
        elif clusters.at[cluster, "has_new"]:
            reason = "new record linked both people"
        elif clerical_match:
            reason = "clerical review: match"
        else:
            reason = "link accepted between existing people"
        events.append(
            {
                "run_id": run_id,
                "at": at,
                "event": "merge",
                "person_id": assigned[cluster],
                "other_person_id": _format_person(int(num)),
                "n_records": str(int(clusters.at[cluster, "size"])),
                "reason": reason,
            }
        )
    pieces = old_rows[old_rows["cluster"].isin(orphan.index)][["cluster", "num"]].drop_duplicates()
    for cluster, num in pieces.sort_values(["num", "cluster"]).itertuples(index=False):
        events.append(
            {
                "run_id": run_id,
                "at": at,
                "event": "split",
                "person_id": _format_person(int(num)),
                "other_person_id": assigned[cluster],
                "n_records": str(int(clusters.at[cluster, "size"])),
                "reason": CORRECTED
                if int(num) in corrected_people
                else ("clerical review: non_match" if clerical_non_match else "conflicting NHS numbers"),
            }
        )
    person_ids = frame["cluster"].map(assigned).to_numpy(dtype=object)
    return person_ids, events, next_number


def identity_changes(spine: pd.DataFrame, incoming: pd.DataFrame, absent: set[str] | frozenset[str] = frozenset()):
    """Known records whose incoming identity values differ in meaning from the stored ones.

    ``spine`` and ``incoming`` are prepared records with a ``_key`` column. Returns ``_key``, ``pos`` (row in
    ``spine``), ``fields`` (the identity columns that changed, ``|``-separated names) and ``corrected``: false when
    every change only fills a column the stored spine did not have (``absent``: a newer version stores more), true
    for a real correction. Spelling alone ("smith" -> "SMITH ") is no change: both sides are cleaned as the model
    cleans them before they are compared.
    """
    from pipelines.linkage.normalise import normalise_records

    empty = pd.DataFrame({"_key": [], "pos": np.array([], np.int64), "fields": [], "corrected": np.array([], bool)})
    if not len(incoming) or not len(spine):
        return empty
    pos = pd.Series(np.arange(len(spine)), index=spine["_key"].to_numpy())
    here = pos.reindex(incoming["_key"].to_numpy()).to_numpy().astype(np.int64)
    before = spine.iloc[here].reset_index(drop=True)
    after = incoming.reset_index(drop=True)
    differs = np.zeros(len(after), dtype=bool)
    for col in IDENTITY_COLUMNS:
        a = before[col].astype("object").where(before[col].notna(), None).to_numpy(dtype=object)
        b = after[col].astype("object").where(after[col].notna(), None).to_numpy(dtype=object)
        differs |= a != b
    if not differs.any():
        return empty
    idx = np.flatnonzero(differs)
    old_clean = normalise_records(before.iloc[idx].reset_index(drop=True))
    new_clean = normalise_records(after.iloc[idx].reset_index(drop=True))
    changed_fields: list[list[str]] = [[] for _ in idx]
    for col, cleaned in _CLEANED.items():
        moved = np.zeros(len(idx), dtype=bool)
        for c in cleaned:
            x = old_clean[c].astype("object").where(old_clean[c].notna(), None).to_numpy(dtype=object)
            y = new_clean[c].astype("object").where(new_clean[c].notna(), None).to_numpy(dtype=object)
            moved |= x != y
        for i in np.flatnonzero(moved):
            changed_fields[i].append(col)
    keep = [i for i, f in enumerate(changed_fields) if f]
    if not keep:
        return empty
    return pd.DataFrame(
        {
            "_key": after["_key"].to_numpy()[idx[keep]],
            "pos": here[idx[keep]],
            "fields": ["|".join(changed_fields[i]) for i in keep],
            "corrected": [not set(changed_fields[i]) <= set(absent) for i in keep],
        }
    )


def _link_reasons(candidate: pd.DataFrame) -> np.ndarray:
    """Why each candidate link was made: ``nhs_number``, ``local_patient_id`` (deterministic) or ``model``."""
    if "reason" in candidate.columns:
        reasons = candidate["reason"].astype("object").to_numpy()
        filled = np.where(candidate["deterministic"].to_numpy(dtype=bool), "nhs_number", "model")
        return np.where(pd.isna(reasons), filled, reasons)
    return np.where(candidate["deterministic"].to_numpy(dtype=bool), "nhs_number", "model")


def _append_corrections(
    identity_dir: Path,
    run_id: str,
    all_records: pd.DataFrame,
    changed: pd.DataFrame,
    old_person: np.ndarray,
    person_ids: np.ndarray,
) -> None:
    """Append this run's corrected records to ``spine_corrections.csv`` (field names and ids, never values)."""
    rows = changed[changed["corrected"]]
    pos = rows["pos"].to_numpy(dtype=np.int64)
    out = pd.DataFrame(
        {
            "run_id": run_id,
            "at": _now(),
            "source": all_records["source"].to_numpy()[pos],
            "record_id": all_records["record_id"].to_numpy()[pos],
            "fields": rows["fields"].to_numpy(),
            "person_id_before": old_person[pos],
            "person_id_after": person_ids[pos],
        },
        columns=list(CORRECTION_COLUMNS),
    )
    path = identity_dir / CORRECTIONS_FILE
    append_csv(out, path)


def read_corrections(identity_dir: Path) -> pd.DataFrame:
    """``spine_corrections.csv``: one row per record a later delivery corrected, per run (append-only)."""
    path = Path(identity_dir) / CORRECTIONS_FILE
    if path.exists():
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame(columns=list(CORRECTION_COLUMNS))


def _pair_sources(
    pairs: pd.DataFrame, all_records: pd.DataFrame, settings: LinkageSettings, nodes: Nodes
) -> pd.DataFrame:
    """Every scored pair as ``l, r, source_l, source_r, match_probability, linked, weight``, for the
    probability-based quality estimate: a pair of nodes stands for every pair of their records (``weight``), and a
    node of several records adds the pairs within it (``l == r``, its own probability). The sources are categorical
    (one small integer per pair, not a string); a node's records share one source."""
    cols = ["l", "r", "source_l", "source_r", "match_probability", "linked", "weight"]
    multi = np.flatnonzero(nodes.size > 1)
    if not len(pairs) and not len(multi):
        return pd.DataFrame(columns=cols)
    size = nodes.size.astype(np.float64)
    inner = nodes.anchor[multi]
    left = np.concatenate([pairs["unique_id_l"].to_numpy(dtype=np.int64) if len(pairs) else [], inner]).astype(np.int64)
    right = np.concatenate([pairs["unique_id_r"].to_numpy(dtype=np.int64) if len(pairs) else [], inner]).astype(
        np.int64
    )
    weight = np.concatenate(
        [
            size[pairs["node_l"].to_numpy(dtype=np.int64)] * size[pairs["node_r"].to_numpy(dtype=np.int64)]
            if len(pairs)
            else np.zeros(0),
            size[multi] * (size[multi] - 1) / 2,
        ]
    )
    probability = np.concatenate(
        [
            pairs["match_probability"].to_numpy(dtype=np.float64) if len(pairs) else np.zeros(0),
            np.nan_to_num(nodes.self_probability[multi], nan=1.0),
        ]
    )
    source = pd.Categorical(all_records["source"].astype(str).to_numpy())
    codes = source.codes
    categories = source.categories
    return pd.DataFrame(
        {
            "l": left,
            "r": right,
            "source_l": pd.Categorical.from_codes(codes[left], categories=categories),
            "source_r": pd.Categorical.from_codes(codes[right], categories=categories),
            "match_probability": probability,
            "linked": probability >= settings.match_threshold,
            "weight": weight,
        }
    )


def _previous_anchors(spine: pd.DataFrame, n: int) -> np.ndarray:
    """Each record's node anchor in the last run (``linkage_anchor``, a record position), -1 where unknown: a
    new record, or a spine written before nodes (its links were stored per record)."""
    out = np.full(n, -1, dtype=np.int64)
    if "linkage_anchor" not in spine.columns or not len(spine):
        return out
    stored = pd.to_numeric(spine["linkage_anchor"], errors="coerce").to_numpy(dtype=np.float64)
    ok = np.isfinite(stored) & (stored >= 0) & (stored < len(spine))
    out[: len(spine)][ok] = stored[ok].astype(np.int64)
    return out


def _previous_self_probability(spine: pd.DataFrame, n: int) -> np.ndarray:
    """Each record's node's own probability in the last run (``linkage_self_probability``), NaN where unknown."""
    out = np.full(n, np.nan)
    if "linkage_self_probability" in spine.columns and len(spine):
        out[: len(spine)] = pd.to_numeric(spine["linkage_self_probability"], errors="coerce").to_numpy(np.float64)
    return out


def _stored_nodes(previous_anchor: np.ndarray, singles: np.ndarray, self_probability: np.ndarray) -> Nodes:
    """The last run's nodes, for a run that scores nothing (applying decisions only); a decided record alone."""
    from pipelines.linkage.model import Nodes

    n = len(previous_anchor)
    positions = np.arange(n, dtype=np.int64)
    grouped = (previous_anchor >= 0) & ~singles
    node = pd.factorize(np.where(grouped, previous_anchor, n + positions), sort=False)[0].astype(np.int64)
    _, anchor = np.unique(node, return_index=True)
    size = np.bincount(node).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    anchor = anchor.astype(np.int64)
    own = np.where(size > 1, self_probability[anchor], np.nan)
    return Nodes(node=node, anchor=anchor, size=size, self_probability=own)


def _replayed_links(
    old_links: pd.DataFrame,
    key_to_pos: pd.Series,
    nodes: Nodes,
    previous_anchor: np.ndarray,
    previous_self: np.ndarray,
    is_corrected: np.ndarray,
) -> pd.DataFrame:
    """Links accepted in earlier runs as pairs of this run's nodes, strongest first, one per pair of nodes.

    A stored link joins two anchors and stands for each anchor's whole node of that run: it is replayed for every
    node that now holds a record of it. A node of the last run can be split now (a reviewer separated one of its
    records, or the model no longer links two of them): its parts are linked to each other with the probability its
    records had, as two identical records would be. A record whose identifiers were corrected has lost its links
    (they were made on the old values); the rest of its old node keeps them.
    """
    node, anchor = nodes.node, nodes.anchor
    n = len(node)
    columns = ["key_l", "key_r", "match_probability", "reason", "run_id"]
    keys = key_to_pos.index.to_numpy()
    positions = np.arange(n, dtype=np.int64)
    keep = ~is_corrected
    grouped = keep & (previous_anchor >= 0)
    ends = pd.DataFrame(
        {
            "pos": np.concatenate([positions[keep], previous_anchor[grouped]]),
            "node": np.concatenate([node[keep], node[grouped]]),
        }
    ).drop_duplicates()
    frame = old_links[columns] if len(old_links) else pd.DataFrame(columns=columns)
    pos_l = key_to_pos.reindex(frame["key_l"].to_numpy()).to_numpy()
    pos_r = key_to_pos.reindex(frame["key_r"].to_numpy()).to_numpy()
    ok = ~(np.isnan(pos_l) | np.isnan(pos_r))
    frame = frame[ok].assign(pos_l=pos_l[ok].astype(np.int64), pos_r=pos_r[ok].astype(np.int64))
    frame = frame.merge(ends.rename(columns={"pos": "pos_l", "node": "l"}), on="pos_l")
    frame = frame.merge(ends.rename(columns={"pos": "pos_r", "node": "r"}), on="pos_r")
    # the parts of a last-run node that is split now: each joined to its first part (the lowest node number)
    parts = pd.DataFrame({"group": previous_anchor[grouped], "node": node[grouped], "p": previous_self[grouped]})
    parts = parts.drop_duplicates(["group", "node"])
    parts = parts[parts.groupby("group")["node"].transform("nunique").to_numpy() > 1]
    if len(parts):
        hub = parts.groupby("group")["node"].transform("min").to_numpy(dtype=np.int64)
        other = parts["node"].to_numpy(dtype=np.int64)
        split = pd.DataFrame(
            {
                "key_l": keys[anchor[hub]],
                "key_r": keys[anchor[other]],
                "match_probability": np.nan_to_num(parts["p"].to_numpy(dtype=np.float64), nan=1.0),
                "reason": "model",
                "run_id": "",
                "l": hub,
                "r": other,
            }
        )
        frame = pd.concat([frame.drop(columns=["pos_l", "pos_r"]), split[hub != other]], ignore_index=True)
    else:
        frame = frame.drop(columns=["pos_l", "pos_r"])
    frame = frame[frame["l"].to_numpy() != frame["r"].to_numpy()]
    lo = np.minimum(frame["l"].to_numpy(np.int64), frame["r"].to_numpy(np.int64))
    hi = np.maximum(frame["l"].to_numpy(np.int64), frame["r"].to_numpy(np.int64))
    frame = frame.assign(l=lo, r=hi)
    frame = frame.sort_values(["match_probability", "key_l", "key_r"], ascending=[False, True, True], kind="stable")
    return frame.drop_duplicates(["l", "r"], keep="first").reset_index(drop=True)


def _pairs_at_anchors(pairs: pd.DataFrame, anchor: np.ndarray) -> pd.DataFrame:
    """Node pairs with ``unique_id_l/r`` as their anchors' record positions, the nodes kept as ``node_l/r``."""
    if not len(pairs):
        return pairs.assign(node_l=np.array([], np.int64), node_r=np.array([], np.int64))
    left = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    right = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    return pairs.assign(node_l=left, node_r=right, unique_id_l=anchor[left], unique_id_r=anchor[right])


def _within_node_links(nodes: Nodes, links: pd.DataFrame, dec: pd.DataFrame, settings: LinkageSettings) -> pd.DataFrame:
    """Each record of a node joined to its anchor, for the strict person: where two of the node's records score at
    or above the strict threshold, or the node has a strong link (or a reviewer's match) to another node, through
    which each of its records would be strongly linked as its anchor is (they score alike against any record)."""
    cols = ["l", "r", "match_probability"]
    multi = nodes.size > 1
    if not multi.any():
        return pd.DataFrame(columns=cols)
    strong = links["match_probability"].astype(float).to_numpy() >= settings.strict_threshold
    touched = np.zeros(len(nodes.size), dtype=bool)
    for column in ("l", "r"):
        touched[nodes.node[links[column].to_numpy(dtype=np.int64)[strong]]] = True
    matched = dec.loc[dec["decision"] == "match", ["l", "r"]].to_numpy(dtype=np.int64).ravel() if len(dec) else []
    touched[nodes.node[np.asarray(matched, dtype=np.int64)]] = True
    with np.errstate(invalid="ignore"):
        attach = multi & ((nodes.self_probability >= settings.strict_threshold) | touched)
    members = np.flatnonzero(attach[nodes.node])
    anchors = nodes.anchor[nodes.node[members]]
    members, anchors = members[members != anchors], anchors[members != anchors]
    return pd.DataFrame({"l": members, "r": anchors, "match_probability": np.ones(len(members))})


def _strict_edges(links: pd.DataFrame, within: pd.DataFrame) -> pd.DataFrame:
    """The accepted links and the within-node ones, as ``l, r, match_probability`` (int64, int64, float64)."""
    return pd.DataFrame(
        {
            "l": np.concatenate([links["l"].to_numpy(np.int64), within["l"].to_numpy(np.int64)]),
            "r": np.concatenate([links["r"].to_numpy(np.int64), within["r"].to_numpy(np.int64)]),
            "match_probability": np.concatenate(
                [links["match_probability"].to_numpy(np.float64), within["match_probability"].to_numpy(np.float64)]
            ),
        }
    )


def forbid_records(dec: pd.DataFrame) -> dict[int, set[int]]:
    """Record positions a reviewer called different people, both ways."""
    forbid: dict[int, set[int]] = {}
    for a, b in dec.loc[dec["decision"] == "non_match", ["l", "r"]].itertuples(index=False):
        forbid.setdefault(int(a), set()).add(int(b))
        forbid.setdefault(int(b), set()).add(int(a))
    return forbid


def _pairs_with_keys(pairs: pd.DataFrame, all_records: pd.DataFrame, settings: LinkageSettings) -> pd.DataFrame:
    cols = ["source_l", "record_id_l", "source_r", "record_id_r", "match_probability", "linked"]
    if not len(pairs):
        return pd.DataFrame(columns=cols)
    left = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    right = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    src = all_records["source"].to_numpy()
    rid = all_records["record_id"].to_numpy()
    return pd.DataFrame(
        {
            "source_l": src[left],
            "record_id_l": rid[left],
            "source_r": src[right],
            "record_id_r": rid[right],
            "match_probability": pairs["match_probability"].to_numpy(),
            "linked": pairs["match_probability"].to_numpy() >= settings.match_threshold,
        }
    )


def _review_pairs(
    identity_dir: Path,
    pair_out: pd.DataFrame,
    all_records: pd.DataFrame,
    person_ids: np.ndarray,
    dec: pd.DataFrame,
    settings: LinkageSettings,
) -> pd.DataFrame:
    """This run's borderline pairs plus earlier undecided ones still not one person, strongest first.

    Columns ``source_l, record_id_l, source_r, record_id_r, match_probability`` and the records' positions ``l, r``.
    """
    path = identity_dir / REVIEW_FILE
    band = pair_out[
        (pair_out["match_probability"] >= settings.review_threshold)
        & (pair_out["match_probability"] < settings.match_threshold)
    ][["source_l", "record_id_l", "source_r", "record_id_r", "match_probability"]]
    if path.exists():
        previous = pd.read_csv(path, dtype=str, keep_default_na=False)
        if len(previous):
            previous = previous[["source_l", "record_id_l", "source_r", "record_id_r", "match_probability"]].astype(
                {"match_probability": float}
            )
            band = pd.concat([previous, band], ignore_index=True) if len(band) else previous
    key_pos = pd.Series(
        np.arange(len(all_records)), index=_key(all_records["source"], all_records["record_id"]).to_numpy()
    )
    pos_l = key_pos.reindex(_key(band["source_l"], band["record_id_l"]).to_numpy()).to_numpy()
    pos_r = key_pos.reindex(_key(band["source_r"], band["record_id_r"]).to_numpy()).to_numpy()
    ok = ~(np.isnan(pos_l) | np.isnan(pos_r))
    band = band[ok].assign(l=pos_l[ok].astype(np.int64), r=pos_r[ok].astype(np.int64))
    band = band[person_ids[band["l"].to_numpy()] != person_ids[band["r"].to_numpy()]]
    decided = {(min(a, b), max(a, b)) for a, b in dec[["l", "r"]].itertuples(index=False)}
    undecided = np.array(
        [(min(a, b), max(a, b)) not in decided for a, b in band[["l", "r"]].itertuples(index=False)], dtype=bool
    )
    band = band[undecided]
    band = band.assign(lo=np.minimum(band["l"], band["r"]), hi=np.maximum(band["l"], band["r"]))
    band = band.sort_values("match_probability", ascending=False).drop_duplicates(["lo", "hi"])
    return band.drop(columns=["lo", "hi"]).reset_index(drop=True)


def _write_review(identity_dir: Path, band: pd.DataFrame, all_records: pd.DataFrame) -> int:
    """Clerical review list (``clerical_review.csv``): the review pairs with both records' identity values."""
    out = band[["source_l", "record_id_l", "source_r", "record_id_r", "match_probability"]].reset_index(drop=True)
    for col in IDENTITY_COLUMNS:
        values = all_records[col].to_numpy()
        out[f"{col}_l"] = values[band["l"].to_numpy()]
        out[f"{col}_r"] = values[band["r"].to_numpy()]
    out["decision"] = ""
    write_csv(out, identity_dir / REVIEW_FILE)
    return len(out)


def alternative_person_ids(
    keys: np.ndarray,
    person_ids: np.ndarray,
    links: pd.DataFrame,
    dec: pd.DataFrame,
    review: pd.DataFrame,
    clusters: _Clusters,
    settings: LinkageSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """The strict and the lenient person of each record, nested around the standard ``person_ids``.

    - **Strict**: a standard person cut into the parts its links scored at or above ``strict_threshold`` hold
      together (reviewer matches and deterministic links, scored 1, always hold). The part with most records (ties:
      the one holding the first record by key) keeps the person id; the others are ``<person id>-s<n>``.
    - **Lenient**: standard people joined by the clerical-review pairs (undecided, between the review and the match
      threshold) scored at or above ``lenient_threshold``, strongest first, under the same constraints as the
      standard clustering (``clusters``: one valid NHS number, reviewers' non-matches). A lenient person takes the
      lowest person id among its standard people, as a merge does.

    ``links`` are the accepted links (positions ``l, r``, ``match_probability``), ``dec`` the clerical decisions
    (positions ``l, r``, ``decision``), ``review`` the review pairs (positions ``l, r``, ``match_probability``).
    Both results depend only on their inputs, never on row order beyond the record keys.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(person_ids)
    person = np.asarray(person_ids, dtype=object)
    strong = links[(links["match_probability"].astype(float) >= settings.strict_threshold).to_numpy()]
    matches = dec.loc[dec["decision"] == "match", ["l", "r"]] if len(dec) else pd.DataFrame(columns=["l", "r"])
    edge_l = np.concatenate([strong["l"].to_numpy(dtype=np.float64), matches["l"].to_numpy(dtype=np.float64)])
    edge_r = np.concatenate([strong["r"].to_numpy(dtype=np.float64), matches["r"].to_numpy(dtype=np.float64)])
    known = ~(np.isnan(edge_l) | np.isnan(edge_r))
    edge_l, edge_r = edge_l[known].astype(np.int64), edge_r[known].astype(np.int64)
    within = person[edge_l] == person[edge_r]
    # the parts are the connected components of the strong links within each standard person; a component's label
    # only names it (parts are told apart and ranked by size and first key below), so any labelling gives the same ids
    graph = coo_matrix((np.ones(int(within.sum()), dtype=np.int8), (edge_l[within], edge_r[within])), shape=(n, n))
    roots = connected_components(graph, directed=False)[1].astype(np.int64)
    parts = pd.DataFrame({"person": person, "part": roots, "key": np.asarray(keys, dtype=object)})
    parts = (
        parts.groupby(["person", "part"], sort=False)
        .agg(size=("key", "size"), first=("key", "min"))
        .reset_index()
        .sort_values(["person", "size", "first"], ascending=[True, False, True], kind="stable")
    )
    rank = parts.groupby("person", sort=False).cumcount().to_numpy()
    parts["strict"] = [p if k == 0 else f"{p}-s{k}" for p, k in zip(parts["person"], rank, strict=True)]
    strict = pd.Series(parts["strict"].to_numpy(), index=parts["part"].to_numpy()).reindex(roots).to_numpy(object)

    # lenient: whole standard people, joined by review pairs at or above the lenient threshold
    first_of: dict[str, int] = {}
    for i, p in enumerate(person):
        j = first_of.setdefault(p, i)
        if j != i:
            clusters.union(j, i, constrained=False)
    nonmatch = {
        (min(int(a), int(b)), max(int(a), int(b)))
        for a, b in (dec.loc[dec["decision"] == "non_match", ["l", "r"]].itertuples(index=False) if len(dec) else [])
    }
    weak = review[review["match_probability"].astype(float) >= settings.lenient_threshold]
    key_l = [str(keys[i]) for i in weak["l"].to_numpy(np.int64)]
    key_r = [str(keys[i]) for i in weak["r"].to_numpy(np.int64)]
    order = pd.DataFrame(
        {
            "p": weak["match_probability"].astype(float).to_numpy(),
            "lo": [min(a, b) for a, b in zip(key_l, key_r, strict=True)],
            "hi": [max(a, b) for a, b in zip(key_l, key_r, strict=True)],
            "l": weak["l"].to_numpy(np.int64),
            "r": weak["r"].to_numpy(np.int64),
        }
    ).sort_values(["p", "lo", "hi"], ascending=[False, True, True], kind="stable")
    for a, b in order[["l", "r"]].itertuples(index=False):
        if (min(a, b), max(a, b)) not in nonmatch:
            clusters.union(int(a), int(b))
    labels = clusters.labels()
    lowest = pd.Series(person).groupby(labels).transform("min").to_numpy(dtype=object)
    return strict, lowest


def read_spine(identity_dir: Path) -> pd.DataFrame:
    """The stored spine: ``source, record_id, person_id`` (and identity values) for every record linked so far."""
    path = Path(identity_dir) / RECORDS_FILE
    if not path.exists():
        return pd.DataFrame(columns=["source", "record_id", "person_id"])
    return pd.read_parquet(path)


def read_events(identity_dir: Path) -> pd.DataFrame:
    """The ``spine_events`` log: one row per run, merge and split (ids and counts only)."""
    return _read_events(Path(identity_dir))
