"""Training of the rescaling networks.

The training loop (and torch) loads on first use of one of its names, so the CLI can read the
recipes from :mod:`irncodec.train.config` without importing torch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RECIPES", "TrainConfig", "evaluate_psnr", "evaluate_rd", "irn_losses", "native_bf16", "train"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from irncodec.train import loop

        return getattr(loop, name)
    raise AttributeError(f"module 'irncodec.train' has no attribute {name!r}")
