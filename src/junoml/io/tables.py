"""Column names and Arrow types of the hit and event tables (docs/contracts.md)."""

import pyarrow as pa

HIT_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("pmt_id", pa.int32()),
        ("hit_time_ns", pa.float32()),
        ("charge_pe", pa.float32()),
    ]
)

# Truth columns of both samples, then the atmospheric-only and the muon-only ones. The events
# table always contains all of them, null where the input file cannot supply a value.
TRUTH_TYPES: dict[str, pa.DataType] = {
    "pdg": pa.int32(),
    "energy_gev": pa.float64(),
    "dir_x": pa.float64(),
    "dir_y": pa.float64(),
    "dir_z": pa.float64(),
    "vertex_x_mm": pa.float64(),
    "vertex_y_mm": pa.float64(),
    "vertex_z_mm": pa.float64(),
    "deposited_energy_mev": pa.float64(),
    "visible_energy_mev": pa.float64(),
    "contained": pa.bool_(),
    "triggered": pa.bool_(),
    "is_cc": pa.bool_(),
    "mode": pa.int8(),
    "lepton_pdg": pa.int32(),
    "lepton_energy_gev": pa.float64(),
    "lepton_dir_x": pa.float64(),
    "lepton_dir_y": pa.float64(),
    "lepton_dir_z": pa.float64(),
    "weight": pa.float64(),
    "label": pa.int8(),
    "track_length_mm": pa.float64(),
}
TRUTH_COLUMNS = tuple(TRUTH_TYPES)

# `source_event_id` is the event's id in its input file; it equals event_id for files that
# carry the sample-wide id themselves.
EVENT_SCHEMA = pa.schema(
    [("event_id", pa.int64()), ("source_event_id", pa.int64())] + list(TRUTH_TYPES.items())
)

# Flavour labels (docs/contracts.md): anti-neutrinos share their neutrino's label.
LABEL_NUMU_CC = 0
LABEL_NUE_CC = 1
LABEL_NC = 2
LABEL_NUTAU_CC = 3
