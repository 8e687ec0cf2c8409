"""The one table of models: id, architecture, constructor arguments, weight file, sha256.

The CLI, the codec, the benchmarks and the ``.irn`` header all read this
table. A file names its model by id and by the first 16 hex digits of the
weight file's sha256, so when better weights are shipped under the same id
the old entry stays and files made with it still decode.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from irncodec.errors import UnknownModelError, WeightsError

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "MODELS",
    "WEIGHTS_DIR",
    "ModelSpec",
    "build_model",
    "default_model",
    "find_model",
    "installed_models",
    "load_model",
    "sha256_file",
]

WEIGHTS_DIR = Path(__file__).parent / "weights"
HASH_PREFIX = 16


@dataclass(frozen=True)
class ModelSpec:
    """One registered model: everything needed to build it and check its weights."""

    id: str
    arch: str
    kwargs: dict
    weights: str
    sha256: str
    temperature: float = 0.0  # z temperature it decodes at (what it was trained for)
    lr_formats: tuple[str, ...] = ("png", "jpeg", "webp")  # payloads it serves by default
    default: bool = True  # newest entry for its id and scale: the one new files use
    kind: str = "codec"  # "codec" (an invertible rescaler) or "sr-baseline" (benchmarks only)
    notes: str = field(default="", compare=False)

    @property
    def scale(self) -> int:
        return int(self.kwargs["scale"])

    @property
    def hash_prefix(self) -> str:
        return self.sha256[:HASH_PREFIX]

    @property
    def path(self) -> Path:
        return WEIGHTS_DIR / self.weights


MODELS: tuple[ModelSpec, ...] = (
    # @@MODELS@@
)


def installed_models() -> list[str]:
    """``id@hash`` of every registered model, for error messages and ``irncodec models``."""
    return [f"{m.id}@{m.hash_prefix}" for m in MODELS]


def find_model(model_id: str, weight_hash: str | None = None) -> ModelSpec:
    """The spec for ``model_id``; with ``weight_hash``, the entry whose sha256 starts with it."""
    for m in MODELS:
        wanted = m.default if weight_hash is None else m.sha256.startswith(weight_hash)
        if m.id == model_id and wanted:
            return m
    what = model_id if weight_hash is None else f"{model_id}@{weight_hash}"
    raise UnknownModelError(f"model {what} is not installed; installed: {', '.join(installed_models()) or 'none'}")


def default_model(scale: int, lr_format: str = "png") -> ModelSpec:
    """The default model for a scale and LR payload format."""
    for m in MODELS:
        if m.kind == "codec" and m.default and m.scale == scale and lr_format in m.lr_formats:
            return m
    raise UnknownModelError(
        f"no installed model for scale {scale} and {lr_format} LR; installed: {', '.join(installed_models()) or 'none'}"
    )


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_model(arch: str, kwargs: dict) -> nn.Module:
    """An untrained network of a registered architecture."""
    from irncodec.models import IRN
    from irncodec.models.sr import EDSR

    architectures = {"irn": IRN, "edsr": EDSR}
    if arch not in architectures:
        raise UnknownModelError(f"unknown architecture {arch!r}; known: {', '.join(architectures)}")
    return architectures[arch](**kwargs)


def load_model(spec: ModelSpec, device: str = "cpu") -> nn.Module:
    """Build the network, check the weight file's sha256, load it without pickle, and put it in eval mode."""
    import torch

    if not spec.path.is_file():
        raise WeightsError(f"weight file for {spec.id} is missing: {spec.path}")
    digest = sha256_file(spec.path)
    if digest != spec.sha256:
        raise WeightsError(
            f"weight file {spec.path} has sha256 {digest[:16]}..., the registry expects "
            f"{spec.sha256[:16]}...; refusing to use it"
        )
    try:
        state = torch.load(spec.path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"cannot read weight file {spec.path}: {exc}") from None
    model = build_model(spec.arch, spec.kwargs)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise WeightsError(f"weight file {spec.path} does not fit {spec.arch} {spec.kwargs}: {exc}") from None
    return model.to(device).eval()
