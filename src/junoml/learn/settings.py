"""Defaults of the training and evaluation stage, read from the `training` and `evaluation` config sections."""

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingSettings:
    """Options of train_model(); each field is a key of the `training` config section.

    Optimiser defaults are common choices for residual nets trained with AdamW (estimate),
    not tuned on JUNO events.
    """

    # "auto" (CUDA when available, else CPU), "cuda" or "cpu".
    device: str = "auto"
    # With device "cuda" and no GPU: "warn" trains on the CPU after a warning, "fail" raises.
    on_missing_gpu: str = "warn"
    # bf16 autocast on CUDA; ignored on the CPU.
    bf16: bool = True
    # Events per optimiser step, and per forward pass in validation.
    batch_size: int = 32
    eval_batch_size: int = 64
    # DataLoader worker processes; 0 reads in the main process.
    num_workers: int = 4
    # torch threads on the CPU (torch.set_num_threads); None keeps torch's default, one per core.
    cpu_threads: int | None = None
    max_epochs: int = 30
    # Peak learning rate of AdamW, reached after warmup_epochs (linear warm-up).
    learning_rate: float = 1.0e-3
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    # "cosine" (warm-up, then cosine decay to min_learning_rate_fraction of the peak) or "onecycle".
    schedule: str = "cosine"
    min_learning_rate_fraction: float = 0.01
    # Stop after this many epochs without a validation loss below the best minus min_delta.
    early_stopping_patience: int = 5
    early_stopping_min_delta: float = 0.0
    # Rotate each training event about the detector axis by a random whole number of grid columns
    # (the input rolled along W, direction and vertex targets rotated by the same angle). The
    # detector is close to symmetric in azimuth, so this multiplies the training sample.
    augment_azimuth: bool = False
    # Gradient norm clip; 0 disables clipping.
    grad_clip_norm: float = 1.0
    # Direction tasks: "vmf" (von Mises-Fisher NLL, the head also gives kappa) or "cosine".
    direction_loss: str = "vmf"
    # flavour: weight the cross-entropy by N / (3 N_class) from the training split.
    class_weights: bool = False
    # Auxiliary regressions: log(visible energy / GeV) and vertex / ls_radius_mm.
    aux_visible_energy: bool = False
    aux_vertex: bool = False
    aux_loss_weight: float = 0.1
    # Scale of the vertex targets: acrylic sphere inner radius (arXiv:2104.02565).
    ls_radius_mm: float = 17700.0
    # Plain log lines every this many steps when stderr is not a terminal.
    log_every_steps: int = 50
    # Data-parallel processes of one training job, one per GPU of one node (torchrun, DDP; gloo
    # processes on the CPU). batch_size is the global batch and must be a multiple of it.
    n_gpus: int = 1

    # Hardware and speed keys, left out of the checkpoint fingerprint so that a run can resume on
    # other hardware. They change the weights only through floating-point rounding (and bf16 on CUDA),
    # except n_gpus: with batch norm in training mode each GPU normalises over its own share of the
    # batch, and an epoch drops its last incomplete global batch when n_gpus > 1.
    RUNTIME_KEYS = ("device", "on_missing_gpu", "num_workers", "cpu_threads", "eval_batch_size", "log_every_steps", "n_gpus")

    @classmethod
    def from_dict(cls, section: dict | None) -> "TrainingSettings":
        """Build settings from the `training` config section; absent keys take the defaults."""
        settings = _from_dict(cls, section or {}, "training")
        _check_choice("training.device", settings.device, ("auto", "cuda", "cpu"))
        _check_choice("training.on_missing_gpu", settings.on_missing_gpu, ("warn", "fail"))
        _check_choice("training.schedule", settings.schedule, ("cosine", "onecycle"))
        _check_choice("training.direction_loss", settings.direction_loss, ("vmf", "cosine"))
        for key in ("batch_size", "eval_batch_size", "max_epochs", "n_gpus"):
            if getattr(settings, key) < 1:
                raise ValueError(f"training.{key} must be at least 1, got {getattr(settings, key)}")
        if settings.num_workers < 0:
            raise ValueError(f"training.num_workers must be 0 or more, got {settings.num_workers}")
        if settings.cpu_threads is not None and settings.cpu_threads < 1:
            raise ValueError(f"training.cpu_threads must be null or at least 1, got {settings.cpu_threads}")
        if settings.learning_rate <= 0:
            raise ValueError(f"training.learning_rate must be positive, got {settings.learning_rate}")
        if settings.batch_size % settings.n_gpus:
            raise ValueError(
                f"training.batch_size = {settings.batch_size} cannot be split evenly over training.n_gpus = {settings.n_gpus}; "
                f"set batch_size to a multiple of n_gpus, e.g. {max(1, settings.batch_size // settings.n_gpus) * settings.n_gpus}"
            )
        return settings

    def result_dict(self) -> dict:
        """Return the fields that determine the trained weights (all but RUNTIME_KEYS)."""
        return {key: value for key, value in dataclasses.asdict(self).items() if key not in self.RUNTIME_KEYS}


@dataclass(frozen=True)
class EvaluationSettings:
    """Options of evaluate_model() and write_evaluation(), keys of the `evaluation` config section."""

    # Bootstrap resamples behind every `_err` of the direction metrics.
    n_bootstrap: int = 200
    # Events per forward pass and reader processes on the test split.
    batch_size: int = 64
    num_workers: int = 4
    cpu_threads: int | None = None
    device: str = "auto"
    on_missing_gpu: str = "warn"

    @classmethod
    def from_dict(cls, section: dict | None) -> "EvaluationSettings":
        """Build settings from the `evaluation` config section; absent keys take the defaults."""
        settings = _from_dict(cls, section or {}, "evaluation")
        _check_choice("evaluation.device", settings.device, ("auto", "cuda", "cpu"))
        _check_choice("evaluation.on_missing_gpu", settings.on_missing_gpu, ("warn", "fail"))
        if settings.n_bootstrap < 2:
            raise ValueError(f"evaluation.n_bootstrap must be at least 2, got {settings.n_bootstrap}")
        return settings


def _from_dict(cls, section: dict, name: str):
    known = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise KeyError(f"unknown keys {unknown} in config section {name}; known keys: {sorted(known)}")
    return cls(**section)


def _check_choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{key} = {value!r} is invalid; choose one of {choices}")
