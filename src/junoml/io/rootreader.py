"""Read hits and truth from ROOT files in bounded steps, with the tree and branch names from the config.

Two layouts are supported:
- `event_per_entry`: one TTree entry per event, hits as jagged branches. Our simulation writes
  this, and so do JUNO user trees with C-style arrays (`pmtID[nPhotons]/I`) or std::vector
  branches.
- `hit_per_entry`: one entry per hit (or per detected photon) with an event-id branch. The
  entries of one event must be contiguous. A step never splits an event, because the rows of
  the last event of a step are carried into the next step.

Bad input (a missing tree or branch, a branch of the wrong type, an unreadable file, invalid hit
values, a repeated event id) raises InputError by default. With `on_bad_input: drop`, invalid
hits and events are dropped instead and counted by reason. An input file that is unreadable or
truncated is then skipped from the damaged point on. A missing tree, a missing branch or a
branch of the wrong type is a config error and raises in both modes.
"""

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from junoml.io.tables import TRUTH_COLUMNS

log = logging.getLogger(__name__)

LAYOUTS = ("event_per_entry", "hit_per_entry")
EVENT_ID_SOURCES = ("branch", "position")
BAD_INPUT_POLICIES = ("fail", "drop")

_INTEGER_TYPES = {"int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t"}
_FLOAT_TYPES = {"float", "double", "Float16_t", "Double32_t"}
_NUMERIC_TYPES = _INTEGER_TYPES | _FLOAT_TYPES | {"bool"}


class InputError(ValueError):
    """An input file, tree, branch or value that the reader cannot use."""


@dataclasses.dataclass(frozen=True)
class ReaderOptions:
    """Reader options: tree and branch names, layout, event numbering and the policy for bad input.

    Attributes:
        tree: name of the TTree.
        layout: `event_per_entry` (jagged hit branches) or `hit_per_entry` (one entry per hit).
        event_id_source: `branch` takes the sample-wide event_id from the event-id branch.
            `position` numbers events from the file's position in the input list and the
            event's order in the file. It keeps the branch value as `source_event_id`.
        event_ids_per_file: stride of the `position` numbering: event_id = (file position) *
            stride + (event number in the file). A file with more events raises InputError.
        event_id_branch: branch with the event id; None only with `event_per_entry` and
            `position`, where the entry number is the source id.
        pmt_id_branch, hit_time_branch: branches of the PMT id and the hit time in ns.
        charge_branch: branch of the charge in photo-electrons; None counts each hit as 1 p.e.
        truth_branches: truth column -> branch name, for the truth columns whose branch is not
            named like the column; None marks a column the files do not have.
        pmt_id_min, pmt_id_max: hits on PMT ids outside this inclusive range are removed
            before any check (JUNO numbers its 20-inch PMTs 0 to 17611, the water-pool PMTs
            from 30000 and the 3-inch PMTs from 300000).
        step_size: entries per step (int) or uncompressed array memory per step ("100 MB").
        on_bad_input: `fail` raises InputError; `drop` drops invalid hits and events.
        apply_response: apply our PMT and electronics response to the hits (for photon-level
            files without TTS, charge smearing and dark noise).
    """

    tree: str = "events"
    layout: str = "event_per_entry"
    event_id_source: str = "branch"
    event_ids_per_file: int = 1_000_000
    event_id_branch: str | None = "event_id"
    pmt_id_branch: str = "pmt_id"
    hit_time_branch: str = "hit_time_ns"
    charge_branch: str | None = "charge_pe"
    truth_branches: dict = dataclasses.field(default_factory=dict)
    pmt_id_min: int = 0
    pmt_id_max: int = 17611
    step_size: int | str = "100 MB"
    on_bad_input: str = "fail"
    apply_response: bool = False

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"reader.layout is {self.layout!r}; use one of {LAYOUTS}")
        if self.event_id_source not in EVENT_ID_SOURCES:
            raise ValueError(f"reader.event_id is {self.event_id_source!r}; use one of {EVENT_ID_SOURCES}")
        if self.on_bad_input not in BAD_INPUT_POLICIES:
            raise ValueError(f"reader.on_bad_input is {self.on_bad_input!r}; use one of {BAD_INPUT_POLICIES}")
        if self.event_id_branch is None and (self.layout == "hit_per_entry" or self.event_id_source == "branch"):
            raise ValueError(
                f"reader.branches.event_id is null, but layout {self.layout!r} with event_id {self.event_id_source!r} "
                "needs an event-id branch; name it, or use layout event_per_entry with event_id: position"
            )
        if not 0 <= self.pmt_id_min <= self.pmt_id_max:
            raise ValueError(f"reader.pmt_id_range is [{self.pmt_id_min}, {self.pmt_id_max}]; give 0 <= first <= second")
        if self.event_ids_per_file < 1:
            raise ValueError(f"reader.event_ids_per_file is {self.event_ids_per_file}; it must be positive")
        unknown = sorted(set(self.truth_branches) - set(TRUTH_COLUMNS))
        if unknown:
            raise ValueError(f"reader.truth_branches names unknown truth columns {unknown}; known columns are {list(TRUTH_COLUMNS)}")

    @classmethod
    def from_config(cls, reader: dict | None) -> "ReaderOptions":
        """Build the options from the `reader` section of the config; absent keys keep their defaults."""
        reader = dict(reader or {})
        known = {
            "tree", "layout", "event_id", "event_ids_per_file", "branches", "truth_branches",
            "pmt_id_range", "step_size", "on_bad_input", "apply_response",
        }
        unknown = sorted(set(reader) - known)
        if unknown:
            raise ValueError(f"unknown keys {unknown} in the reader config; known keys are {sorted(known)}")
        kwargs: dict = {}
        for key in ("tree", "layout", "event_ids_per_file", "step_size", "on_bad_input", "apply_response"):
            if key in reader:
                kwargs[key] = reader[key]
        if "event_id" in reader:
            kwargs["event_id_source"] = reader["event_id"]
        branches = dict(reader.get("branches") or {})
        names = {"event_id": "event_id_branch", "pmt_id": "pmt_id_branch", "hit_time_ns": "hit_time_branch", "charge_pe": "charge_branch"}
        unknown = sorted(set(branches) - set(names))
        if unknown:
            raise ValueError(f"unknown keys {unknown} in reader.branches; known keys are {sorted(names)}")
        for key, field in names.items():
            if key in branches:
                kwargs[field] = branches[key]
        if reader.get("truth_branches"):
            kwargs["truth_branches"] = dict(reader["truth_branches"])
        if "pmt_id_range" in reader:
            low, high = reader["pmt_id_range"]
            kwargs["pmt_id_min"], kwargs["pmt_id_max"] = int(low), int(high)
        return cls(**kwargs)

    def truth_branch(self, column: str) -> str | None:
        """Return the branch name of a truth column (the column's own name unless mapped)."""
        return self.truth_branches.get(column, column)


@dataclasses.dataclass
class HitBatch:
    """Whole events read in one step: per-event arrays of length n_events, per-hit arrays flat.

    Hits of event i are hit_*[offsets[i]:offsets[i + 1]], in the file's order.
    """

    path: Path
    event_id: np.ndarray  # int64
    source_event_id: np.ndarray  # int64
    entry: np.ndarray  # int64, the first TTree entry of each event, for messages
    offsets: np.ndarray  # int64, length n_events + 1
    pmt_id: np.ndarray  # int32
    hit_time_ns: np.ndarray  # float32
    charge_pe: np.ndarray  # float32
    truth: dict  # column -> numpy array of length n_events

    @property
    def n_events(self) -> int:
        return len(self.event_id)


class RootHitReader:
    """Iterate over the events of a list of ROOT files in bounded steps, checking every value.

    Args:
        paths: input ROOT files, in the order that fixes event ids of the `position` numbering.
        options: reader options.
        known_pmt_ids: PMT ids of the geometry; a hit on another id inside the PMT-id range is
            invalid input.
        file_index_offset: position of paths[0] in the full list of files of the sample.
    Attributes:
        hits_read: hits of the events that passed the event checks, before the PMT-id range
            filter and the hit checks.
        dropped_hits, dropped_events: counts by reason, filled while iterating.
        hits_outside_pmt_id_range: hits removed by the PMT-id range filter.
        missing_truth: truth columns that a file lacks, by file.
    """

    def __init__(self, paths: list, options: ReaderOptions, *, known_pmt_ids: np.ndarray, file_index_offset: int = 0):
        if not paths:
            raise InputError("no input ROOT files given; list at least one file")
        self.paths = [Path(p) for p in paths]
        self.options = options
        self.file_index_offset = int(file_index_offset)
        ids = np.asarray(known_pmt_ids, dtype=np.int64)
        self._known = np.zeros(max(int(ids.max(initial=-1)), options.pmt_id_max) + 1, dtype=bool)
        self._known[ids[ids >= 0]] = True
        self.dropped_hits: Counter = Counter()
        self.dropped_events: Counter = Counter()
        self.hits_read = 0
        self.hits_outside_pmt_id_range = 0
        self.missing_truth: dict[str, list[str]] = {}

    def __iter__(self) -> Iterator[HitBatch]:
        for position, path in enumerate(self.paths):
            yield from self._read_file(path, self.file_index_offset + position)

    # ---- one file ----

    def _read_file(self, path: Path, file_position: int) -> Iterator[HitBatch]:
        tree = self._open_tree(path)
        hit_branches, truth_branches = self._check_branches(path, tree)
        expressions = sorted(set(hit_branches.values()) | set(truth_branches.values()))
        context = _FileContext(path=path, file_position=file_position)
        log.info("reading %s: tree %r, %d entries", path, self.options.tree, tree.num_entries)

        steps = tree.iterate(expressions, step_size=self.options.step_size, library="ak", report=True)
        pending = None
        while True:
            try:
                arrays, report = next(steps)
            except StopIteration:
                break
            except InputError:
                raise
            except Exception as error:  # uproot raises many types for damaged baskets
                self._bad_file(path, f"cannot be read past entry {context.entries_done} ({type(error).__name__}: {error})")
                break
            context.entries_done = report.tree_entry_stop
            if self.options.layout == "event_per_entry":
                batch = self._events_from_jagged(arrays, report.tree_entry_start, hit_branches, truth_branches, context)
            else:
                batch, pending = self._events_from_rows(arrays, report.tree_entry_start, hit_branches, truth_branches, context, pending)
            if batch is not None and batch.n_events:
                yield batch
        if pending is not None:
            batch = self._finish_rows(pending, hit_branches, truth_branches, context)
            if batch.n_events:
                yield batch

    def _open_tree(self, path: Path):
        if not path.exists():
            raise InputError(f"{path}: file not found; check the list of input files")
        try:
            file = uproot.open(path)
        except Exception as error:  # uproot raises ValueError, OSError or struct errors for non-ROOT files
            raise InputError(
                f"{path}: not a readable ROOT file ({type(error).__name__}: {error}); check that the file is complete and is a ROOT file"
            ) from error
        try:
            classnames = file.classnames()
        except Exception as error:
            raise InputError(f"{path}: the ROOT directory cannot be read ({type(error).__name__}: {error}); the file is truncated or corrupted") from error
        trees = sorted({key.split(";")[0] for key, name in classnames.items() if name in ("TTree", "TNtuple")})
        if self.options.tree not in trees:
            objects = {key.split(";")[0]: name for key, name in classnames.items()}
            raise InputError(f"{path}: TTree {self.options.tree!r} not found; the file has the objects {objects}; set reader.tree")
        try:
            return file[self.options.tree]
        except Exception as error:
            raise InputError(f"{path}: TTree {self.options.tree!r} cannot be read ({type(error).__name__}: {error}); the file is truncated or corrupted") from error

    def _bad_file(self, path: Path, reason: str) -> None:
        if self.options.on_bad_input == "fail":
            raise InputError(f"{path}: {reason}; replace the file, or set reader.on_bad_input: drop to keep the events read before the damage")
        log.warning("%s: %s; the rest of the file is skipped", path, reason)
        self.dropped_events["unreadable_file_part"] += 1

    def _check_branches(self, path: Path, tree) -> tuple[dict, dict]:
        """Return {role: branch} for the hit branches and {column: branch} for the truth branches present."""
        options = self.options
        available = set(tree.keys(recursive=True))
        hit_branches = {"pmt_id": options.pmt_id_branch, "hit_time_ns": options.hit_time_branch}
        if options.charge_branch is not None:
            hit_branches["charge_pe"] = options.charge_branch
        if options.event_id_branch is not None:
            hit_branches["event_id"] = options.event_id_branch
        for role, branch in hit_branches.items():
            if branch not in available:
                raise InputError(
                    f"{path}: branch {branch!r} ({role}) not found in TTree {options.tree!r}; the tree has {sorted(available)}; "
                    f"set reader.branches.{role}"
                )
        jagged = options.layout == "event_per_entry"
        for role, branch in hit_branches.items():
            self._check_type(path, tree[branch], role, jagged=jagged and role != "event_id")

        truth_branches = {}
        missing = []
        for column in TRUTH_COLUMNS:
            branch = options.truth_branch(column)
            if branch is not None and branch in available:
                self._check_type(path, tree[branch], column, jagged=False)
                truth_branches[column] = branch
            else:
                missing.append(column)
        if missing:
            self.missing_truth[str(path)] = missing
            log.info("%s: no branch for truth columns %s; they are filled as documented in docs/ingest.md", path, missing)
        return hit_branches, truth_branches

    def _check_type(self, path: Path, branch, role: str, *, jagged: bool) -> None:
        typename = branch.typename
        element, is_list = _element_type(typename)
        where = f"{path}: branch {branch.name!r} ({role}) has type {typename!r}"
        if jagged and not is_list:
            raise InputError(f"{where}, but layout event_per_entry needs a variable-length array per entry; set reader.layout: hit_per_entry for one entry per hit")
        if not jagged and is_list:
            raise InputError(f"{where}, but a scalar per entry is needed; map reader.branches or reader.truth_branches to a scalar branch")
        if role in ("pmt_id", "event_id", "pdg", "lepton_pdg", "mode", "label"):
            allowed = _INTEGER_TYPES
        else:
            allowed = _NUMERIC_TYPES
        if element not in allowed:
            raise InputError(f"{where}; {role} needs one of {sorted(allowed)}; map it to another branch or convert the file")

    # ---- event_per_entry ----

    def _events_from_jagged(self, arrays, entry_start: int, hit_branches: dict, truth_branches: dict, context: "_FileContext") -> HitBatch:
        path = context.path
        n = len(arrays)
        entries = entry_start + np.arange(n, dtype=np.int64)
        counts = {role: ak.to_numpy(ak.num(arrays[branch], axis=1)).astype(np.int64) for role, branch in hit_branches.items() if role != "event_id"}
        keep = np.ones(n, dtype=bool)
        reference = counts["pmt_id"]
        for role, count in counts.items():
            unequal = count != reference
            if unequal.any():
                first = int(np.flatnonzero(unequal)[0])
                self._bad_events(
                    "unequal_hit_array_lengths", unequal & keep,
                    f"{path}: entry {entries[first]}: branch {hit_branches[role]!r} has {count[first]} values but "
                    f"{hit_branches['pmt_id']!r} has {reference[first]}; the hit arrays of an entry must have equal lengths",
                )
                keep &= ~unequal

        source_ids = self._source_ids(arrays, hit_branches, entries, context)
        keep &= self._check_event_ids(source_ids, entries, keep, context)
        if not keep.all():
            arrays = arrays[keep]
            entries = entries[keep]
            source_ids = source_ids[keep]
            reference = reference[keep]

        pmt_id = _flat_numpy(arrays[hit_branches["pmt_id"]])
        hit_time = _flat_numpy(arrays[hit_branches["hit_time_ns"]])
        if "charge_pe" in hit_branches:
            charge = _flat_numpy(arrays[hit_branches["charge_pe"]])
        else:
            charge = np.ones(len(pmt_id), dtype=np.float32)
        offsets = np.zeros(len(reference) + 1, dtype=np.int64)
        np.cumsum(reference, out=offsets[1:])
        truth = {column: _scalar_numpy(arrays[branch]) for column, branch in truth_branches.items()}
        event_ids = self._event_ids(source_ids, context)
        return self._clean_hits(path, event_ids, source_ids, entries, offsets, pmt_id, hit_time, charge, truth)

    def _source_ids(self, arrays, hit_branches: dict, entries: np.ndarray, context: "_FileContext") -> np.ndarray:
        if "event_id" in hit_branches:
            return _scalar_numpy(arrays[hit_branches["event_id"]]).astype(np.int64)
        return entries.copy()

    def _check_event_ids(self, source_ids: np.ndarray, entries: np.ndarray, keep: np.ndarray, context: "_FileContext") -> np.ndarray:
        """Return a mask of events whose source id is valid and not seen before in this file."""
        path = context.path
        valid = keep.copy()
        if self.options.event_id_source == "branch":
            negative = (source_ids < 0) & valid
            if negative.any():
                first = int(np.flatnonzero(negative)[0])
                self._bad_events(
                    "negative_event_id", negative,
                    f"{path}: entry {entries[first]}: event id {source_ids[first]} in branch {self.options.event_id_branch!r} is negative; "
                    "sample-wide event ids start at 0; use reader.event_id: position for files with their own numbering",
                )
                valid &= ~negative
        repeated = np.zeros(len(source_ids), dtype=bool)
        _, first_index = np.unique(source_ids, return_index=True)
        repeated[:] = True
        repeated[first_index] = False
        seen = np.fromiter((int(i) in context.seen_ids for i in source_ids), dtype=bool, count=len(source_ids))
        repeated = (repeated | seen) & valid
        if repeated.any():
            first = int(np.flatnonzero(repeated)[0])
            self._bad_events(
                "repeated_event_id", repeated,
                f"{path}: entry {entries[first]}: event id {source_ids[first]} (branch {self.options.event_id_branch!r}) appears "
                "more than once in the file; each event needs its own id",
            )
            valid &= ~repeated
        context.seen_ids.update(int(i) for i in source_ids[valid])
        return valid

    def _event_ids(self, source_ids: np.ndarray, context: "_FileContext") -> np.ndarray:
        if self.options.event_id_source == "branch":
            return source_ids.astype(np.int64)
        stride = self.options.event_ids_per_file
        ordinal = context.events_done + np.arange(len(source_ids), dtype=np.int64)
        context.events_done += len(source_ids)
        if len(ordinal) and ordinal[-1] >= stride:
            raise InputError(
                f"{context.path}: has more than reader.event_ids_per_file = {stride} events; raise reader.event_ids_per_file"
            )
        return context.file_position * stride + ordinal

    # ---- hit_per_entry ----

    def _events_from_rows(self, arrays, entry_start: int, hit_branches: dict, truth_branches: dict, context: "_FileContext", pending):
        """Group rows into events; return the whole events and the rows of the last event, which may continue."""
        columns = {branch: _scalar_numpy(arrays[branch]) for branch in set(hit_branches.values()) | set(truth_branches.values())}
        columns["__entry__"] = entry_start + np.arange(len(arrays), dtype=np.int64)
        if pending is not None:
            columns = {key: np.concatenate([pending[key], value]) for key, value in columns.items()}
        ids = columns[hit_branches["event_id"]].astype(np.int64)
        if len(ids) == 0:
            return None, None
        last_start = int(np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])[-1])
        pending = {key: value[last_start:] for key, value in columns.items()}
        complete = {key: value[:last_start] for key, value in columns.items()}
        if last_start == 0:
            return None, pending
        return self._rows_to_batch(complete, hit_branches, truth_branches, context), pending

    def _finish_rows(self, pending: dict, hit_branches: dict, truth_branches: dict, context: "_FileContext") -> HitBatch:
        return self._rows_to_batch(pending, hit_branches, truth_branches, context)

    def _rows_to_batch(self, columns: dict, hit_branches: dict, truth_branches: dict, context: "_FileContext") -> HitBatch:
        ids = columns[hit_branches["event_id"]].astype(np.int64)
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        source_ids = ids[starts]
        entries = columns["__entry__"][starts]
        valid = self._check_event_ids(source_ids, entries, np.ones(len(starts), dtype=bool), context)
        counts = np.diff(np.r_[starts, len(ids)])
        hit_keep = np.repeat(valid, counts)

        pmt_id = columns[hit_branches["pmt_id"]][hit_keep]
        hit_time = columns[hit_branches["hit_time_ns"]][hit_keep]
        if "charge_pe" in hit_branches:
            charge = columns[hit_branches["charge_pe"]][hit_keep]
        else:
            charge = np.ones(len(pmt_id), dtype=np.float32)
        counts = counts[valid]
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        first_rows = starts[valid]
        truth = {column: columns[branch][first_rows] for column, branch in truth_branches.items()}
        source_ids = source_ids[valid]
        event_ids = self._event_ids(source_ids, context)
        return self._clean_hits(context.path, event_ids, source_ids, entries[valid], offsets, pmt_id, hit_time, charge, truth)

    # ---- per-hit checks shared by both layouts ----

    def _clean_hits(self, path, event_ids, source_ids, entries, offsets, pmt_id, hit_time, charge, truth) -> HitBatch:
        options = self.options
        n_hits = len(pmt_id)
        self.hits_read += n_hits

        in_range = (pmt_id >= options.pmt_id_min) & (pmt_id <= options.pmt_id_max)
        all_in_range = bool(in_range.all())
        self.hits_outside_pmt_id_range += 0 if all_in_range else int(n_hits - in_range.sum())
        keep = in_range
        # Inside the range, ids index the lookup table directly (pmt_id_min >= 0, table size > pmt_id_max).
        known = self._known[pmt_id] if all_in_range else self._known[np.where(in_range, pmt_id, 0)]
        checks = [
            ("pmt_id_not_in_geometry", lambda: keep & ~known, options.pmt_id_branch, pmt_id,
             "is not a PMT of the geometry; narrow reader.pmt_id_range or use the geometry of the file"),
            ("non_finite_hit_time", lambda: keep & ~np.isfinite(hit_time), options.hit_time_branch, hit_time,
             "is not a finite time; fix the file or set reader.on_bad_input: drop"),
            ("non_finite_charge", lambda: keep & ~np.isfinite(charge), options.charge_branch, charge,
             "is not a finite charge; fix the file or set reader.on_bad_input: drop"),
            ("negative_charge", lambda: keep & (charge < 0), options.charge_branch, charge,
             "is a negative charge; fix the file or set reader.on_bad_input: drop"),
        ]
        event_of_hit = None
        for reason, find_bad, branch, values, fix in checks:
            bad = find_bad()
            if bad.any():
                if event_of_hit is None:
                    event_of_hit = np.repeat(np.arange(len(event_ids)), np.diff(offsets))
                first = int(np.flatnonzero(bad)[0])
                event = int(event_of_hit[first])
                message = f"{path}: entry {entries[event]} (event id {source_ids[event]}): branch {branch!r} value {values[first]} {fix}"
                self._bad_hits(reason, int(bad.sum()), message)
                keep = keep & ~bad

        if not keep.all():
            if event_of_hit is None:
                event_of_hit = np.repeat(np.arange(len(event_ids)), np.diff(offsets))
            counts = np.bincount(event_of_hit[keep], minlength=len(event_ids))
            offsets = np.zeros(len(event_ids) + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            pmt_id, hit_time, charge = pmt_id[keep], hit_time[keep], charge[keep]
        return HitBatch(
            path=path,
            event_id=np.asarray(event_ids, dtype=np.int64),
            source_event_id=np.asarray(source_ids, dtype=np.int64),
            entry=np.asarray(entries, dtype=np.int64),
            offsets=offsets,
            pmt_id=pmt_id.astype(np.int32, copy=False),
            hit_time_ns=hit_time.astype(np.float32, copy=False),
            charge_pe=charge.astype(np.float32, copy=False),
            truth=truth,
        )

    def _bad_hits(self, reason: str, count: int, message: str) -> None:
        if self.options.on_bad_input == "fail":
            raise InputError(message)
        self.dropped_hits[reason] += count

    def _bad_events(self, reason: str, mask: np.ndarray, message: str) -> None:
        if self.options.on_bad_input == "fail":
            raise InputError(message)
        self.dropped_events[reason] += int(mask.sum())


@dataclasses.dataclass
class _FileContext:
    path: Path
    file_position: int
    entries_done: int = 0
    events_done: int = 0
    seen_ids: set = dataclasses.field(default_factory=set)


def _element_type(typename: str) -> tuple[str, bool]:
    """Return (element type, is variable-length list) of an uproot typename such as 'int32_t[]' or 'std::vector<double>'."""
    name = typename.strip().replace("std::int", "int").replace("std::uint", "uint")
    for prefix in ("std::vector<", "vector<", "ROOT::VecOps::RVec<"):
        if name.startswith(prefix) and name.endswith(">"):
            return name[len(prefix):-1].strip(), True
    if name.endswith("[]"):
        return name[:-2], True
    return name, False


def _flat_numpy(array) -> np.ndarray:
    """Return the flat values of a jagged array in the file's own dtype (no copy where possible)."""
    return ak.to_numpy(ak.flatten(array, axis=1))


def _scalar_numpy(array) -> np.ndarray:
    return ak.to_numpy(array)
