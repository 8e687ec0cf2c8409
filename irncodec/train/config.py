"""Training configurations and named recipes (no torch import, so the CLI can list them cheaply)."""

from __future__ import annotations

from dataclasses import dataclass

from irncodec.imageio import JPEG_CHROMA

__all__ = ["BACK_LOSSES", "LR_CODECS", "RECIPES", "TrainConfig", "recipe_config"]

LR_CODECS = ("jpeg", "webp")  # the lossy LR formats the training loop can put between the passes
BACK_LOSSES = ("l1", "l2", "psnr")  # the HR reconstruction losses (irncodec.train.loop.reconstruction_loss)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; stored in its checkpoint."""

    scale: int = 2
    blocks: int = 8  # coupling blocks per x2 level (IRN) or residual blocks (EDSR)
    growth: int = 16  # DenseBlock growth (IRN)
    patch: int = 64
    batch: int = 16
    lr: float = 2e-4
    lr_min: float = 1e-6
    schedule: str = "cosine"  # "cosine" over `steps`, "constant", or "paper" (halve at 100k, 200k, ...)
    steps: int = 3000
    z_temperature: float = 0.0  # temperature of the latent fed to the inverse pass in training
    lambda_forw: float = 4.0
    lambda_back: float = 1.0
    # the HR reconstruction loss: "l1" (the paper's), "l2" (what PSNR measures) or "psnr" (the squared error with
    # each patch weighted as the mean PSNR over patches weights it; see irncodec.train.loop.reconstruction_loss)
    back_loss: str = "l1"
    lambda_z: float = 1.0
    weight_decay: float = 1e-5
    grad_clip: float = 0.0  # 0 disables
    bf16: bool = True
    seed: int = 0
    holdout: int = 12  # last N training images (by name) held out for validation
    eval_every: int = 250
    checkpoint_seconds: float = 300.0
    # "irn", "irn-crm" (IRN with an LR restorer before the inverse), "irn-lc" (IRN with a learned LR correction in
    # the forward pass) or "edsr" (the SR baseline)
    arch: str = "irn"
    features: int = 64  # feature width (EDSR)
    lr_codec: str = "none"  # "jpeg" or "webp": the LR passes through that codec between the forward and inverse
    lr_quality_min: int = 50  # LR codec quality range drawn from, per step
    lr_quality_max: int = 95
    eval_quality: int = 75  # LR codec quality in validation when lr_codec is not "none"
    lr_chroma: str = "420"  # JPEG chroma sampling of the LR codec ("420" or "444"; WebP is always 4:2:0)
    lambda_rate: float = 0.0  # weight of the LR's estimated JPEG bits per LR pixel (lr_codec "jpeg"); 0 disables
    crm_features: int = 32  # LR restorer width (arch "irn-crm")
    crm_blocks: int = 4  # LR restorer residual blocks (arch "irn-crm")
    ema_decay: float = 0.0  # per-step decay of an exponential moving average of the weights; 0 disables
    lc_features: int = 48  # LR corrector width (arch "irn-lc")
    lc_blocks: int = 4  # LR corrector residual blocks (arch "irn-lc")
    # fraction of patches with permuted channels and amplified chroma (irncodec.train.data.PatchSampler); 0 disables
    colour_aug: float = 0.0
    freeze_irn: bool = False  # train only the corrector (arch "irn-lc"): the decoder stays the IRN it started from

    def __post_init__(self) -> None:
        if self.lr_codec not in ("none", *LR_CODECS):
            raise ValueError(f"unknown lr_codec {self.lr_codec!r}; known: none, {', '.join(LR_CODECS)}")
        if self.lr_chroma not in JPEG_CHROMA or (self.lr_codec == "webp" and self.lr_chroma != "420"):
            raise ValueError(f"lr_chroma {self.lr_chroma!r} is not a chroma sampling of lr_codec {self.lr_codec!r}")
        if self.back_loss not in BACK_LOSSES:
            raise ValueError(f"unknown back_loss {self.back_loss!r}; known: {', '.join(BACK_LOSSES)}")
        if self.freeze_irn and self.arch != "irn-lc":
            raise ValueError(f"freeze_irn trains an LR corrector; arch {self.arch!r} has none")
        if not 0.0 <= self.colour_aug <= 1.0:
            raise ValueError(f"colour_aug must be a fraction in [0, 1], not {self.colour_aug}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), not {self.ema_decay}")
        if not 1 <= self.lr_quality_min <= self.lr_quality_max <= 100:
            raise ValueError(
                f"JPEG quality range must have 1 <= min <= max <= 100, not {self.lr_quality_min}-{self.lr_quality_max}"
            )


# The losses of the recipes that train for PSNR: the squared error, no z loss, no weight decay (whose pull would
# dwarf gradients that small).
_SQUARED_ERROR = {"lambda_z": 0.0, "back_loss": "l2", "weight_decay": 0.0}

# Recipe jpeg's real JPEG in the loop with those losses and the LR guidance at scale**2 / 40 (recipes jpeg-mse and
# jpeg-mse-crm).
_JPEG_SQUARED_ERROR = {"lr_codec": "jpeg", **_SQUARED_ERROR, "guidance_per_scale2": 1 / 40}

RECIPES: dict[str, dict] = {
    # Measured fastest per CPU-hour (issue 9): narrow net, z = 0 in the inverse pass, bf16.
    "fast": {},
    # The paper's recipe (DIV2K setting): full width, z ~ N(0, 1), 144 patches, lr halved every 100k.
    "paper": {
        "growth": 32,
        "patch": 144,
        "z_temperature": 1.0,
        "schedule": "paper",
        "steps": 500_000,
        "bf16": False,
        "grad_clip": 10.0,
    },
    # The super-resolution baseline of the benchmarks, trained on the same data and budget as `fast`.
    "sr-baseline": {"arch": "edsr", "blocks": 6},
    # Compression-aware IRN (issue 5): real JPEG in the loop with a simulated gradient, quality 50-95.
    "jpeg": {"lr_codec": "jpeg"},
    # The same with a learned LR correction in the forward pass (arch irn-lc), IRN and corrector trained together
    # through the codec (start it with --init-from a compression-aware IRN's weights); no weight decay, as recipe
    # corrector.
    "jpeg-lc": {"lr_codec": "jpeg", "arch": "irn-lc", "weight_decay": 0.0},
    # Recipe jpeg with the joint recipe's losses: the squared error PSNR measures instead of L1, no z loss, no weight
    # decay, LR guidance at scale**2 / 40 (start it with --init-from a compression-aware IRN's weights).
    "jpeg-mse": _JPEG_SQUARED_ERROR,
    # The same with an LR restoration module in front of the inverse (IRN journal extension's CRM).
    "jpeg-crm": {"lr_codec": "jpeg", "arch": "irn-crm"},
    # Recipe jpeg-mse with that restoration module: decoder capacity for a compression-aware IRN that jpeg-mse alone
    # no longer improves (start it with --init-from a compression-aware IRN's weights; the restorer starts at the
    # identity).
    "jpeg-mse-crm": {**_JPEG_SQUARED_ERROR, "arch": "irn-crm"},
    # The same through WebP (forward value the codec's real WebP, gradient from the JPEG simulation).
    "webp": {"lr_codec": "webp"},
    # A learned LR correction in the forward pass, trained against a frozen IRN (start it with --init-from the
    # IRN's weights): the decoder is that IRN, unchanged. No LR guidance: the correction is what the inverse needs;
    # the squared error, since L1 measured no gain; no weight decay, whose pull would dwarf gradients that small.
    "corrector": {
        "arch": "irn-lc",
        "freeze_irn": True,
        **_SQUARED_ERROR,
        "guidance_per_scale2": 0.0,
    },
    # The IRN and its LR corrector trained together (a new decoder, still the exact inverse; start it with
    # --init-from a corrected model's weights): the corrector recipe with the IRN unfrozen and the LR guidance back,
    # at scale**2 / 40 (0.1 at x2, 0.4 at x4), the paper's weight rescaled for the squared error (see below).
    "joint": {
        "arch": "irn-lc",
        "freeze_irn": False,
        **_SQUARED_ERROR,
        "guidance_per_scale2": 1 / 40,
    },
}


def recipe_config(recipe: str, scale: int, **overrides: object) -> TrainConfig:
    """A named recipe for ``scale``, with overrides; the LR guidance weight is ``scale**2`` as in the paper, times
    the recipe's ``guidance_per_scale2`` (1 where it gives none)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
    spec = dict(RECIPES[recipe])
    factor = spec.pop("guidance_per_scale2", 1.0)
    fields = {"lambda_forw": float(scale**2) * factor, **spec, "scale": scale}
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**fields)
