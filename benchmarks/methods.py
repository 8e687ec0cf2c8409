"""The methods the RD benchmark compares, all behind one interface.

Every method turns an RGB image into bytes a sender would transmit and back
into an RGB image of the same size. Bytes are what would sit on disk: the
whole ``.irn`` file for irncodec, the plain LR image for the downscaling
baselines, the full-resolution file for ordinary codecs.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from irncodec.codec import Analysis, Decoder, Encoder
from irncodec.imageio import encode_plane
from irncodec.registry import ModelSpec, default_model, find_model, load_model
from irncodec.rescale import bicubic_down, pad_to_multiple

__all__ = ["BicubicLR", "ForwardCache", "FullResolution", "Irncodec", "Method", "Point", "to_tensor"]


@dataclass(frozen=True)
class Point:
    """One operating point on one image."""

    quality: int | None
    nbytes: int
    x_hat: np.ndarray  # H x W x 3 uint8
    encoding_time: float
    decoding_time: float


class Method:
    """A codec under test: ``sweep`` encodes and decodes one image at each quality."""

    name: str
    family: str
    description: str
    lr_format: str | None = None  # the codec of the transmitted image, None for full-resolution methods
    lossy: bool = True

    def sweep(self, rgb: np.ndarray, qualities: Sequence[int]) -> list[Point]:
        raise NotImplementedError


def _chroma_suffix(chroma: str) -> str:
    """Method-name suffix of a JPEG chroma sampling: none for libjpeg's default 4:2:0."""
    return "" if chroma == "420" else f"-{chroma}"


def _chroma_note(chroma: str) -> str:
    return "" if chroma == "420" else f" ({':'.join(chroma)})"


def _decode_plane(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """H x W x 3 uint8 (or anything ``np.array`` takes, a Pillow RGB image included) to 1 x 3 x H x W in [0, 1]."""
    return torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float() / 255.0


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    return x[0].mul(255.0).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()


class ForwardCache:
    """The forward passes of the image being measured, shared by the irncodec methods, so methods that
    use the same model (e.g. a JPEG and a WebP LR) run it once per image. The LR's own codec does not
    enter the forward pass, so the analysis is shared across LR formats."""

    def __init__(self) -> None:
        self._image = b""
        self._entries: dict[tuple[str, str], tuple[Analysis, float]] = {}

    def get(self, encoder: Encoder, rgb: np.ndarray, spec: ModelSpec, lr_format: str) -> tuple[Analysis, float]:
        """(analysis, seconds the forward pass took) for ``rgb`` under ``spec``."""
        key = hashlib.blake2b(rgb.tobytes(), digest_size=16).digest() + bytes(str(rgb.shape), "ascii")
        if key != self._image:
            self._image, self._entries = key, {}
        if (spec.id, spec.sha256) not in self._entries:
            t0 = time.perf_counter()
            analysis = encoder.analyze(Image.fromarray(rgb), spec.scale, lr_format, spec.ref)
            self._entries[(spec.id, spec.sha256)] = (analysis, time.perf_counter() - t0)
        return self._entries[(spec.id, spec.sha256)]


class Irncodec(Method):
    """irncodec itself: the forward pass once per image and model, then one ``.irn`` file per quality.

    ``model`` pins a registered model (e.g. the lossless-trained IRN sent through JPEG, the
    "stock IRN" baseline of issue 5); by default the codec picks the model for the LR format.
    ``chroma_like_codec`` writes a pinned model's JPEG LRs with the chroma sampling the codec's own model
    uses at each quality, so a baseline goes through the same JPEG as irncodec.
    """

    family = "irncodec"

    def __init__(
        self,
        scale: int,
        lr_format: str,
        encoder: Encoder,
        decoder: Decoder,
        model: str | None = None,
        name: str | None = None,
        family: str = "irncodec",
        forward_cache: ForwardCache | None = None,
        chroma_like_codec: bool = False,
    ) -> None:
        self.scale, self.lr_format, self.model = scale, lr_format, model
        self.chroma_like_codec = chroma_like_codec
        self.encoder, self.decoder = encoder, decoder
        self.name = name or f"irncodec-{lr_format}"
        self.family = family
        self.lossy = lr_format != "png"
        models = sorted({s.id for s in map(self.spec_for, range(101) if self.lossy else [None])})
        self.description = f"irncodec x{scale} ({', '.join(models)}), IRN LR stored as {lr_format.upper()}"
        if chroma_like_codec:
            self.description += " with the chroma sampling of the codec's own model at each quality"
        self.forward_cache = forward_cache if forward_cache is not None else ForwardCache()

    def spec_for(self, quality: int | None) -> ModelSpec:
        """The model a file of this LR quality uses: the pinned one, or the codec's choice for the quality."""
        return find_model(self.model) if self.model else default_model(self.scale, self.lr_format, quality)

    def sweep(self, rgb: np.ndarray, qualities: Sequence[int]) -> list[Point]:
        points = []
        for q in qualities if self.lossy else [None]:
            analysis, t_forward = self.forward_cache.get(self.encoder, rgb, self.spec_for(q), self.lr_format)
            t0 = time.perf_counter()
            chroma = default_model(self.scale, self.lr_format, q).lr_chroma if self.chroma_like_codec else None
            data = self.encoder.package(analysis, self.lr_format, q, lr_chroma=chroma)
            t1 = time.perf_counter()
            out = np.asarray(self.decoder.decode(data).convert("RGB"))
            t2 = time.perf_counter()
            points.append(Point(q, len(data), out, t_forward + t1 - t0, t2 - t1))
        return points


class BicubicLR(Method):
    """Bicubic downscale -> LR codec -> bicubic upscale, or a super-resolution network instead of the upscale."""

    family = "downscale"

    def __init__(self, scale: int, lr_format: str, sr: ModelSpec | None = None, chroma: str = "420") -> None:
        self.scale, self.lr_format, self.chroma = scale, lr_format, chroma
        # Channels-last, like the irncodec decoder, so neither side gets a faster memory layout.
        self.sr = load_model(sr).to(memory_format=torch.channels_last) if sr is not None else None
        up = "bicubic" if sr is None else "sr"
        self.name = f"bicubic-{lr_format}{_chroma_suffix(chroma)}-{up}"
        self.family = "bicubic+sr" if sr is not None else "bicubic"
        self.lossy = lr_format != "png"
        self.description = f"bicubic x{scale} down, LR as {lr_format.upper()}{_chroma_note(chroma)}, " + (
            "bicubic up" if sr is None else f"{sr.id} ({sr.arch}) up"
        )

    def sweep(self, rgb: np.ndarray, qualities: Sequence[int]) -> list[Point]:
        h, w = rgb.shape[:2]
        t0 = time.perf_counter()
        x = pad_to_multiple(to_tensor(rgb), self.scale)
        lr = Image.fromarray(_to_uint8(bicubic_down(x, self.scale)))
        t_down = time.perf_counter() - t0
        points = []
        for q in qualities if self.lossy else [None]:
            t0 = time.perf_counter()
            data = encode_plane(lr, self.lr_format, q, self.chroma)
            t1 = time.perf_counter()
            y = to_tensor(_decode_plane(data))
            with torch.inference_mode():
                up = (
                    self.sr(y.contiguous(memory_format=torch.channels_last))
                    if self.sr is not None
                    else F.interpolate(y, scale_factor=self.scale, mode="bicubic")
                )
            out = _to_uint8(up.clamp(0, 1))[:h, :w]
            t2 = time.perf_counter()
            points.append(Point(q, len(data), out, t_down + t1 - t0, t2 - t1))
        return points


class FullResolution(Method):
    """An ordinary codec applied to the full-resolution image: what a user does without irncodec."""

    family = "full-resolution"

    def __init__(self, fmt: str, chroma: str = "420") -> None:
        self.fmt, self.chroma = fmt, chroma
        self.name = f"{fmt}-full{_chroma_suffix(chroma)}"
        self.description = f"{fmt.upper()}{_chroma_note(chroma)} at full resolution (Pillow)"

    def sweep(self, rgb: np.ndarray, qualities: Sequence[int]) -> list[Point]:
        im = Image.fromarray(rgb)
        points = []
        for q in qualities:
            t0 = time.perf_counter()
            data = encode_plane(im, self.fmt, q, self.chroma)
            t1 = time.perf_counter()
            out = _decode_plane(data)
            t2 = time.perf_counter()
            points.append(Point(q, len(data), out, t1 - t0, t2 - t1))
        return points
