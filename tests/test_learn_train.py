"""Tests of train_model: learning on one batch, resume equivalence, fingerprint rejection, outputs."""

import csv

import pytest
import torch

from junoml.learn import tasks as task_defs
from junoml.learn.nets import build_network, resolve_architecture
from junoml.learn.runtime import GPUUnavailableError, select_device
from junoml.learn.settings import TrainingSettings
from junoml.learn.synthetic import write_synthetic_task
from junoml.learn.train import CheckpointMismatchError, train_model

TINY_3D = {
    "stem_channels": 4,
    "stem_kernel_size": [3, 3, 3],
    "stem_stride": [1, 1, 1],
    "stage_channels": [8],
    "blocks_per_stage": [1],
    "stage_strides": [[2, 2, 2]],
    "kernel_size": [3, 3, 3],
    "dropout": 0.2,
    "position_channels": True,
}
MODELS_CFG = {"r2plus1d": TINY_3D, "cnn2d": {**TINY_3D, "stem_kernel_size": 3, "stem_stride": 1, "stage_strides": [2], "kernel_size": 3}}
TRAINING = {"batch_size": 16, "max_epochs": 3, "num_workers": 0, "learning_rate": 3e-3, "warmup_epochs": 0.5, "early_stopping_patience": 5}
SHAPE = (1, 4, 8, 16)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return write_synthetic_task(tmp_path_factory.mktemp("synthetic"), shape=SHAPE, split_sizes={"train": 48, "val": 16, "test": 16}, seed=3, chunk_size=40)


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run_training(synthetic, out_dir, *, task="muon_direction", model="r2plus1d", training=None, on_epoch_end=None) -> dict:
    prefixes, split_dir = synthetic
    params = {"seed": 11, "models": MODELS_CFG, "training": {**TRAINING, **(training or {})}}
    return train_model(task, model, grid_prefixes=prefixes, split_dir=split_dir, out_dir=out_dir, params=params, on_epoch_end=on_epoch_end)


class Interrupt(Exception):
    pass


def interrupt_after(epoch: int):
    def callback(row: dict) -> None:
        if row["epoch"] == epoch:
            raise Interrupt

    return callback


def read_log(path) -> list[dict]:
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_overfit_one_batch_flavour():
    torch.manual_seed(0)
    settings = TrainingSettings()
    layout = task_defs.head_layout("flavour", settings)
    architecture = resolve_architecture("r2plus1d", {"r2plus1d": {**TINY_3D, "dropout": 0.0}}, in_channels=1, n_outputs=layout.n_outputs, grid_hw=SHAPE[2:])
    network = build_network(architecture)
    inputs = torch.randn(8, *SHAPE)
    targets = {"label": torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])}
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-2)
    for step in range(80):
        loss = task_defs.per_event_loss("flavour", network(inputs), targets, layout, settings).mean()
        if step == 0:
            initial = loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert initial > 0.9
    assert loss.item() < 0.1


def test_train_writes_outputs(synthetic, tmp_path, one_thread):
    summary = run_training(synthetic, tmp_path)
    assert (tmp_path / "model.pt").exists()
    assert (tmp_path / "checkpoint_last.pt").exists()
    rows = read_log(tmp_path / "training_log.csv")
    assert list(rows[0]) == ["epoch", "train_loss", "val_loss", "val_metric", "learning_rate", "seconds", "events_per_s"]
    assert len(rows) == 3
    assert summary["epochs"] == 3


def test_train_cnn2d_flavour_runs(synthetic, tmp_path, one_thread):
    summary = run_training(synthetic, tmp_path, task="flavour", model="cnn2d", training={"max_epochs": 1, "class_weights": True})
    assert 0.0 <= summary["best_val_metric"] <= 1.0


def test_resume_matches_uninterrupted(synthetic, tmp_path, one_thread):
    run_training(synthetic, tmp_path / "straight")
    with pytest.raises(Interrupt):
        run_training(synthetic, tmp_path / "resumed", on_epoch_end=interrupt_after(1))
    assert len(read_log(tmp_path / "resumed" / "training_log.csv")) == 1
    run_training(synthetic, tmp_path / "resumed")

    straight = torch.load(tmp_path / "straight" / "model.pt", weights_only=True)
    resumed = torch.load(tmp_path / "resumed" / "model.pt", weights_only=True)
    assert straight["best_epoch"] == resumed["best_epoch"]
    for name, value in straight["state_dict"].items():
        # Same operations in the same order on one thread: equal up to float32 rounding.
        torch.testing.assert_close(resumed["state_dict"][name], value, rtol=1e-5, atol=1e-6, msg=name)
    straight_losses = [float(r["val_loss"]) for r in read_log(tmp_path / "straight" / "training_log.csv")]
    resumed_losses = [float(r["val_loss"]) for r in read_log(tmp_path / "resumed" / "training_log.csv")]
    assert resumed_losses == pytest.approx(straight_losses, rel=1e-5)


def test_checkpoint_fingerprint_mismatch_rejected(synthetic, tmp_path, one_thread):
    with pytest.raises(Interrupt):
        run_training(synthetic, tmp_path, on_epoch_end=interrupt_after(1))
    with pytest.raises(CheckpointMismatchError, match="training"):
        run_training(synthetic, tmp_path, training={"learning_rate": 1e-2})


def test_runtime_keys_do_not_change_fingerprint(synthetic, tmp_path, one_thread):
    with pytest.raises(Interrupt):
        run_training(synthetic, tmp_path, training={"max_epochs": 2}, on_epoch_end=interrupt_after(1))
    summary = run_training(synthetic, tmp_path, training={"max_epochs": 2, "eval_batch_size": 5})
    assert summary["epochs"] == 2


def test_finished_run_reruns_without_training(synthetic, tmp_path, one_thread):
    run_training(synthetic, tmp_path, training={"max_epochs": 1})
    epochs = []
    run_training(synthetic, tmp_path, training={"max_epochs": 1}, on_epoch_end=epochs.append)
    assert epochs == []


def test_finished_run_of_other_setup_retrains(synthetic, tmp_path, one_thread):
    run_training(synthetic, tmp_path, training={"max_epochs": 1})
    epochs = []
    run_training(synthetic, tmp_path, training={"max_epochs": 1, "learning_rate": 1e-2}, on_epoch_end=epochs.append)
    assert len(epochs) == 1


def test_early_stopping_stops_before_max_epochs(synthetic, tmp_path, one_thread):
    # A zero learning rate after warm-up never improves the validation loss after epoch 1.
    summary = run_training(synthetic, tmp_path, training={"max_epochs": 6, "early_stopping_patience": 1, "learning_rate": 1e-9})
    assert summary["epochs"] < 6


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_missing_gpu_fails_when_configured():
    with pytest.raises(GPUUnavailableError, match="on_missing_gpu"):
        select_device("cuda", on_missing_gpu="fail", key="training")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_missing_gpu_falls_back_with_warning(caplog):
    assert select_device("cuda", on_missing_gpu="warn", key="training").type == "cpu"
    assert "falling back to the CPU" in caplog.text


def test_unknown_training_key_rejected():
    with pytest.raises(KeyError, match="learning_rat"):
        TrainingSettings.from_dict({"learning_rat": 1e-3})
