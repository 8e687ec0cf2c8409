"""Training patches from a folder of photos: random crops, flips and 90-degree rotations, and optionally colour."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from irncodec.train.jpeg import RGB_TO_YCC, YCC_TO_RGB

__all__ = ["PatchSampler", "list_images", "load_rgb", "saturate"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"not a folder: {folder}")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def load_rgb(path: str | Path) -> np.ndarray:
    """An image file as an H x W x 3 uint8 RGB array."""
    with Image.open(path) as im:
        return np.array(im.convert("RGB"), dtype=np.uint8)


def saturate(rgb: np.ndarray, gain: float) -> np.ndarray:
    """``rgb`` (H x W x 3 uint8) with its chroma (Cb, Cr around their mid-point) multiplied by ``gain``, clipped."""
    ycc = rgb.astype(np.float32) @ RGB_TO_YCC.numpy().T
    ycc[..., 1:] *= gain
    out = ycc @ YCC_TO_RGB.numpy().T
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


class PatchSampler:
    """Draws batches of random square HR patches, augmented with the 8 dihedral transforms.

    With ``colour`` > 0, that fraction of the patches also gets its RGB channels
    permuted at random and its chroma amplified by a gain drawn from 1 to 3
    (clipped to the gamut): natural photos carry little
    fine detail in their chroma, so a net trained on them alone decodes
    saturated colour edges (coloured text, graphics) worse than bicubic.

    All images are held in memory as uint8; the sampler's state is one numpy
    ``Generator`` so a resumed run draws the same batches it would have drawn
    (a run without colour draws exactly the numbers it drew before the option existed).
    """

    def __init__(
        self,
        images: Sequence[np.ndarray],
        patch: int,
        batch: int,
        seed: int,
        colour: float = 0.0,
    ) -> None:
        if not 0.0 <= colour <= 1.0:
            raise ValueError(f"colour must be a fraction in [0, 1], not {colour}")
        usable = [im for im in images if im.shape[0] >= patch and im.shape[1] >= patch]
        if not usable:
            raise ValueError(f"no training image is at least {patch}x{patch}")
        self.images = usable
        self.patch = patch
        self.batch = batch
        self.rng = np.random.default_rng(seed)
        self.colour = colour

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state

    def sample(self) -> Tensor:
        """A float batch N x 3 x patch x patch in [0, 1]."""
        out = np.empty((self.batch, self.patch, self.patch, 3), dtype=np.uint8)
        p = self.patch
        for i in range(self.batch):
            im = self.images[int(self.rng.integers(len(self.images)))]
            top = int(self.rng.integers(im.shape[0] - p + 1))
            left = int(self.rng.integers(im.shape[1] - p + 1))
            crop = im[top : top + p, left : left + p]
            k = int(self.rng.integers(8))
            if k & 4:
                crop = crop[:, ::-1]
            crop = np.rot90(crop, k & 3)
            if self.colour and self.rng.random() < self.colour:
                crop = saturate(crop[..., self.rng.permutation(3)], 1.0 + 2.0 * self.rng.random())
            out[i] = crop
        return torch.from_numpy(out).permute(0, 3, 1, 2).float().div_(255.0)
