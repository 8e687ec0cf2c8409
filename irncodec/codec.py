"""Encoder and decoder: image <-> ``.irn`` bytes.

The encoder runs the IRN forward pass on the (padded) HR image, keeps the
three LR channels as an ordinary 8-bit image and wraps it in the container
with the header the decoder needs. The decoder parses the container, decodes
the LR, draws ``z`` from the header's seed and temperature on a CPU
generator, runs the exact inverse and crops to the original size. The same
file gives the same pixels on every run on the same device and precision (a
CUDA decode runs in fp16 by default and can differ from a CPU decode by
float rounding).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image

from bitstream import LR_FORMATS, Header, IrnFile, Limits, pack, read_file, unpack
from irncodec import imageio
from irncodec.errors import BudgetError, DeviceError, InputImageError, PayloadError, UnknownModelError
from irncodec.refine import lr_channel, lr_rate, refine_lr
from irncodec.registry import (
    ModelSpec,
    alternatives,
    codec_scales,
    default_model,
    find_model,
    load_model,
    quality_bands,
)
from irncodec.rescale import downscale, exact_math, pad_to_multiple, sample_z, upscale

__all__ = [
    "DEFAULT_TILE",
    "PRECISIONS",
    "Analysis",
    "BudgetCandidate",
    "Decoder",
    "Encoder",
    "decode",
    "encode",
    "resolve_device",
]

DEFAULT_TILE = 256  # LR pixels per tile side; bounds memory on large images
DEFAULT_OVERLAP = 16  # LR pixels of context around each tile
REFINE_WINDOW = 512  # HR pixels per side of a refinement window's core (+ 32 LR pixels of context each side)
PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


class BudgetCandidate(NamedTuple):
    """One file a byte-budget search made (:meth:`Encoder.encode_to_budget`'s ``on_try``): the model as
    ``id@version``, the LR quality (``None`` for PNG), the whole file's size in bytes, and, once the file was
    decoded to compare the fits, the mean squared error of its reconstruction (0-255 scale)."""

    model: str
    quality: int | None
    size: int
    mse: float | None = None


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` is CUDA when available, else CPU; a named device must exist."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise DeviceError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device cuda was requested but CUDA is not available")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise DeviceError(f"{dev} does not exist; this machine has {torch.cuda.device_count()} CUDA devices")
    if dev.type not in ("cpu", "cuda"):
        raise DeviceError(f"device {dev} is not supported; use cpu or cuda")
    return dev


class _ModelCache:
    """Loaded networks keyed by (id, sha256): a server loads each model once."""

    def __init__(
        self,
        device: torch.device,
        memory_format: torch.memory_format = torch.contiguous_format,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.device = device
        self.memory_format = memory_format
        self.dtype = dtype
        self._models: dict[tuple[str, str], torch.nn.Module] = {}

    def get(self, spec: ModelSpec) -> torch.nn.Module:
        key = (spec.id, spec.sha256)
        if key not in self._models:
            net = load_model(spec, device=str(self.device))
            self._models[key] = net.to(dtype=self.dtype, memory_format=self.memory_format)
        return self._models[key]


def _to_tensor(rgb: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float().div(255.0).to(device)


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    """N=1 float image in [0, 1] to H x W x C uint8, in place (``x`` is consumed)."""
    return x[0].mul_(255.0).round_().clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def _invert(
    net: torch.nn.Module,
    files: list[IrnFile],
    lrs: list[np.ndarray],
    device: torch.device,
    tile: int,
    dtype: torch.dtype,
) -> list[np.ndarray]:
    """The inverse pass of same-model, same-size files in one batch, z drawn from each header; uint8 H x W x 3
    per file, cropped to the file's size."""
    y = torch.cat([_to_tensor(lr, device) for lr in lrs]).to(dtype)
    z = torch.cat(
        [sample_z((1, net.latent_channels, *y.shape[-2:]), f.header.z_seed, f.header.z_temperature) for f in files]
    )
    with torch.inference_mode(), exact_math(device):
        x_hat = upscale(net, y, z, tile=tile, overlap=DEFAULT_OVERLAP).float()
        return [_to_uint8(x_hat[i : i + 1, :, : f.header.height, : f.header.width]) for i, f in enumerate(files)]


def _mse(a: np.ndarray, b: np.ndarray, grey: bool = False, rows: int = 256) -> float:
    """Mean squared error of two H x W x 3 uint8 images (of their channel means with ``grey``), a block of
    ``rows`` rows at a time so no full-size float copy is made."""
    total = 0.0
    for i in range(0, a.shape[0], rows):
        x, y = a[i : i + rows].astype(np.float32), b[i : i + rows].astype(np.float32)
        d = x.mean(-1) - y.mean(-1) if grey else x - y
        total += float(np.square(d).sum(dtype=np.float64))
    return total / (a.shape[0] * a.shape[1] * (1 if grey else a.shape[2]))


def _highest_fit(fits: Callable[[int], bool], lo: int, hi: int) -> int:
    """The highest quality in ``[lo, hi]`` for which ``fits`` holds, given that ``lo`` fits: a binary search
    that takes fitting as monotone in quality, then checks the two qualities above its answer (sizes are not
    strictly monotone in quality)."""
    top = hi
    while lo < hi:  # invariant: quality lo fits
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    for q in (lo + 2, lo + 1):
        if q <= top and fits(q):
            lo = max(lo, q)
    return lo


def _decodes_grey(prepared: imageio.PreparedImage) -> bool:
    """Whether the decoder returns this input as grey (the channel mean of the network's RGB)."""
    return imageio.OUTPUT_MODE[prepared.mode] in ("L", "LA", "I;16")


def _check_format(lr_format: str, quality: int | None) -> None:
    if lr_format not in LR_FORMATS:
        raise InputImageError(f"unknown LR format {lr_format!r}; use {', '.join(LR_FORMATS)}")
    if quality is not None and not 0 <= quality <= 100:
        raise InputImageError(f"quality {quality} is not in [0, 100]")


def _lr_quality(lr_format: str, quality: int | None) -> int | None:
    """The LR quality a file gets: none for PNG, the default for a lossy format when none is given."""
    return None if lr_format == "png" else (imageio.DEFAULT_QUALITY if quality is None else quality)


@dataclass(frozen=True)
class Analysis:
    """The result of the forward pass: model, prepared input, 8-bit LR pixels, lossless alpha plane."""

    spec: ModelSpec
    image: imageio.PreparedImage
    lr: np.ndarray  # h x w x 3 uint8
    alpha_png: bytes | None


class Encoder:
    """Encodes images to ``.irn`` bytes with IRN (Xiao et al., ECCV 2020); keeps its models loaded."""

    def __init__(self, device: str | torch.device = "auto", tile: int = DEFAULT_TILE) -> None:
        self.device = resolve_device(device)
        self.tile = tile
        # Channels-last: 1.7-1.8x faster forward passes on the CPU (benchmarks/speed.py --runtimes).
        self._cache = _ModelCache(self.device, torch.channels_last)

    def analyze(
        self,
        image: Image.Image,
        scale: int = 2,
        lr_format: str = "png",
        model: str | None = None,
        quality: int | None = None,
    ) -> Analysis:
        """Run the forward pass once: the 8-bit LR and everything else a file needs but the LR encoding.

        ``model`` defaults to the registry's choice for the scale, LR format and LR quality (the default
        quality when ``None``): compression-aware models may each serve a band of qualities.
        """
        _check_format(lr_format, quality)
        spec = find_model(model) if model else default_model(scale, lr_format, _lr_quality(lr_format, quality))
        if spec.kind != "codec":
            raise InputImageError(f"model {spec.id} is a {spec.kind}, not a codec model")
        if spec.scale != scale:
            raise InputImageError(f"model {spec.id} is for scale {spec.scale}, not {scale}")
        prepared = imageio.prepare_image(image)
        net = self._cache.get(spec)
        x = pad_to_multiple(_to_tensor(prepared.rgb, self.device), scale)
        with torch.inference_mode(), exact_math(self.device):
            lr = _to_uint8(downscale(net, x, tile=self.tile, overlap=DEFAULT_OVERLAP))
        alpha = None
        if prepared.alpha is not None:
            alpha = imageio.encode_plane(Image.fromarray(prepared.alpha), "png", None)
        return Analysis(spec=spec, image=prepared, lr=lr, alpha_png=alpha)

    @staticmethod
    def package(
        analysis: Analysis,
        lr_format: str = "png",
        quality: int | None = None,
        z_seed: int = 0,
        z_temperature: float | None = None,
        lr_chroma: str | None = None,
    ) -> bytes:
        """Encode the LR of an :meth:`analyze` result and wrap it in the container (cheap; no network).

        A JPEG LR is written with the chroma sampling its model was trained through (``ModelSpec.lr_chroma``)
        unless ``lr_chroma`` (one of :data:`irncodec.imageio.JPEG_CHROMA`) says otherwise, as benchmarks do to
        send another model through the same JPEG. JPEG files record their sampling, so decoding needs no flag.
        WebP LRs are 4:2:0 whatever the model's sampling.
        """
        _check_format(lr_format, quality)
        quality = _lr_quality(lr_format, quality)
        spec, prepared = analysis.spec, analysis.image
        chroma = spec.lr_chroma if lr_chroma is None else lr_chroma
        try:
            imageio.jpeg_sampling(chroma)
        except ValueError as exc:
            raise InputImageError(str(exc)) from None
        chroma = chroma if lr_format == "jpeg" else "420"  # WebP is always 4:2:0; PNG has no sampling
        h, w = prepared.rgb.shape[:2]
        header = Header(
            scale=spec.scale,
            model=spec.id,
            model_hash=spec.hash_prefix,
            width=w,
            height=h,
            mode=prepared.mode,
            lr_format=lr_format,
            lr_quality=quality,
            z_seed=z_seed,
            z_temperature=spec.temperature if z_temperature is None else z_temperature,
            icc_profile=prepared.icc_profile,
            exif=prepared.exif,
        )
        lr = imageio.encode_plane(Image.fromarray(analysis.lr), lr_format, quality, chroma)
        return pack(IrnFile(header=header, lr=lr, alpha=analysis.alpha_png))

    def refine(
        self,
        analysis: Analysis,
        steps: int,
        lr_format: str = "png",
        quality: int | None = None,
        z_seed: int = 0,
        z_temperature: float | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Analysis:
        """``analysis`` with its LR refined by ``steps`` gradient steps (:func:`irncodec.refine.refine_lr`) for
        the channel the file will use: 8-bit rounding for PNG, the real JPEG (in the model's chroma sampling) or
        WebP at ``quality`` otherwise, with the JPEG rate estimate as a penalty (a trade of bytes for quality:
        the LR usually shrinks a little). ``z_seed`` and ``z_temperature`` must be the ones the file will carry.
        Images above :data:`REFINE_WINDOW` HR pixels a side are refined in windows, each ``steps`` times a forward
        plus backward inverse pass of its window; ``progress(done, total)`` counts window-steps."""
        _check_format(lr_format, quality)
        spec, quality = analysis.spec, _lr_quality(lr_format, quality)
        chroma = spec.lr_chroma if lr_format == "jpeg" else "420"
        net = self._cache.get(spec)
        x = pad_to_multiple(_to_tensor(analysis.image.rgb, self.device), spec.scale)
        y = _to_tensor(analysis.lr, self.device)
        temperature = spec.temperature if z_temperature is None else z_temperature
        z = sample_z((1, net.latent_channels, *y.shape[-2:]), z_seed, temperature)
        tile = max(REFINE_WINDOW // spec.scale // 16 * 16, 16)  # on the JPEG MCU grid
        with exact_math(self.device):
            y = refine_lr(
                net,
                x,
                y,
                z,
                lr_channel(lr_format, quality, chroma),
                steps,
                rate=lr_rate(lr_format, quality, chroma),
                tile=tile,
                size=analysis.image.rgb.shape[:2],
                grey=_decodes_grey(analysis.image),
                progress=progress,
            )
        return dataclasses.replace(analysis, lr=_to_uint8(y))

    def _refined(
        self,
        analysis: Analysis,
        data: bytes,
        steps: int,
        lr_format: str,
        quality: int | None,
        z_seed: int,
        z_temperature: float | None,
        progress: Callable[[int, int], None] | None,
        max_bytes: int | None = None,
    ) -> bytes:
        """The file of the refined LR if it decodes closer to the input than ``data`` (and fits ``max_bytes``),
        else ``data``: refinement never makes a file worse."""
        refined = self.refine(analysis, steps, lr_format, quality, z_seed, z_temperature, progress)
        candidate = self.package(refined, lr_format, quality, z_seed=z_seed, z_temperature=z_temperature)
        if max_bytes is not None and len(candidate) > max_bytes:
            return data
        errors = [self._error(d, analysis.spec, analysis.image) for d in (data, candidate)]
        return candidate if errors[1] < errors[0] else data

    def encode_to_budget(
        self,
        image: Image.Image,
        max_bytes: int,
        scale: int | None = 2,
        lr_format: str = "jpeg",
        model: str | None = None,
        z_seed: int = 0,
        refine: int = 0,
        progress: Callable[[int, int], None] | None = None,
        on_try: Callable[[BudgetCandidate], None] | None = None,
    ) -> tuple[bytes, int | None]:
        """The best file of at most ``max_bytes`` bytes, and the LR quality chosen.

        ``scale=None`` tries every scale the registry has codec models for (a pinned ``model`` fixes its
        own) at the cost of every scale's passes: on the held-out photos with JPEG LRs x4 won on 3 of 12 at
        0.15 bpp (+0.04 dB on average) and on none at 0.25 or 0.4 bpp, for 3.5-4.5x the encoding time
        (``benchmarks/budget.py``), but it meets budgets below the x2 models' lowest quality.

        A binary search over the LR quality packages candidates, taking the file size as non-decreasing in
        quality and checking the neighbours of the answer. Where the registry serves bands of quality with
        different models (e.g. a 4:2:0 and a 4:4:4 JPEG model), and where it lists alternatives for a
        band (``ModelSpec.alternative_band``), each model's band is searched on its own with that model's
        forward pass; when more than one scale or band has a file that fits, each one's highest-quality fit
        is decoded here and the one closest to the input (mean squared error of the network's RGB, of its
        grey level for grey inputs) wins. A pinned ``model`` is searched over all qualities. A PNG LR has no
        quality to lower: each scale's (and each PNG alternative's) file fits or not. :class:`BudgetError` when
        nothing fits. ``refine`` steps (:meth:`refine`) then go to the winner only; its refined file is kept if
        it still fits and decodes closer to the input (bytes the refinement frees are not spent on a higher quality).
        ``on_try`` gets a :class:`BudgetCandidate` after each candidate is packaged (each model's first costs a
        forward pass) and again, with its error, after each fit is decoded for the comparison (an inverse pass), so
        a caller can show how a long search goes.
        """
        _check_format(lr_format, None)
        pinned = find_model(model) if model else None
        if pinned and scale is not None and pinned.scale != scale:
            raise InputImageError(f"model {pinned.id} is for scale {pinned.scale}, not {scale}")
        scales = [pinned.scale] if pinned else [scale] if scale is not None else codec_scales(lr_format)
        analyses: dict[tuple[str, str], Analysis] = {}
        files: dict[tuple[str, str, int | None], bytes] = {}

        def attempt(spec: ModelSpec, q: int | None) -> bytes:
            key = (spec.id, spec.sha256)
            if (*key, q) not in files:
                if key not in analyses:
                    name = spec.ref
                    analyses[key] = self.analyze(image, spec.scale, lr_format=lr_format, model=name, quality=q)
                files[(*key, q)] = self.package(analyses[key], lr_format, q, z_seed=z_seed)
                if on_try is not None:
                    on_try(BudgetCandidate(spec.ref, q, len(files[(*key, q)])))
            return files[(*key, q)]

        bands: list[tuple[ModelSpec, int | None, int | None]] = []
        for s in scales:
            if pinned:
                bands.append((pinned, None, None) if lr_format == "png" else (pinned, 0, 100))
            elif lr_format == "png":
                bands += [(m, None, None) for m in (default_model(s, "png"), *alternatives(s, "png"))]
            else:
                try:
                    bands += quality_bands(s, lr_format)
                except UnknownModelError:
                    if scale is not None:
                        raise
                    continue  # auto: a scale without a model for every quality is left out
                bands += [(m, *m.alternative_band) for m in alternatives(s, lr_format)]  # never None there
        if not bands:
            raise UnknownModelError(f"no installed model serves {lr_format} LRs at every quality")
        fits: list[tuple[ModelSpec, int | None]] = []  # each band's highest quality that fits
        for spec, lo, hi in bands:
            if len(attempt(spec, lo)) > max_bytes:
                continue
            if lo is not None and hi is not None:
                lo = _highest_fit(lambda q, spec=spec: len(attempt(spec, q)) <= max_bytes, lo, hi)
            fits.append((spec, lo))
        if not fits:
            smallest = min(bands, key=lambda b: len(attempt(b[0], b[1])))
            what = "the PNG LR" if lr_format == "png" else f"even quality {smallest[1]}"
            hint = "; use a JPEG or WebP LR (lr_format, or --lr-format)" if lr_format == "png" else ""
            if not pinned and max(scales) < max(codec_scales(lr_format)):
                hint += "; a larger scale may fit (scale=None, or --scale auto on the command line)"
            raise BudgetError(
                f"{what} needs {len(attempt(smallest[0], smallest[1]))} bytes at scale {smallest[0].scale}, over "
                f"the budget of {max_bytes}{hint}"
            )
        if len(fits) > 1:
            source = next(iter(analyses.values())).image
            errors = []
            for fit_spec, fit_q in fits:
                fit_data = attempt(fit_spec, fit_q)
                errors.append(self._error(fit_data, fit_spec, source))
                if on_try is not None:
                    on_try(BudgetCandidate(fit_spec.ref, fit_q, len(fit_data), errors[-1]))
            fits = [fits[i] for i in sorted(range(len(fits)), key=errors.__getitem__)]  # a tie keeps the order
        spec, q = fits[0]
        data = attempt(spec, q)
        if refine > 0:
            data = self._refined(
                analyses[(spec.id, spec.sha256)], data, refine, lr_format, q, z_seed, None, progress, max_bytes
            )
        return data, q

    def _error(self, data: bytes, spec: ModelSpec, prepared: imageio.PreparedImage) -> float:
        """Mean squared error of the reconstruction of a file this encoder made from ``prepared`` (the network's
        RGB, or its grey level for inputs that decode to grey), with this encoder's loaded models."""
        h, w = prepared.rgb.shape[:2]
        f = unpack(data, Limits(max_pixels=max(h * w, Limits.max_pixels)))
        lr = imageio.read_plane(f.lr, f.header.lr_format, f.header.lr_size, "RGB", "LR image")
        (rgb,) = _invert(self._cache.get(spec), [f], [lr], self.device, self.tile, torch.float32)
        return _mse(rgb, prepared.rgb, _decodes_grey(prepared))

    def encode(
        self,
        image: Image.Image,
        scale: int = 2,
        lr_format: str = "png",
        quality: int | None = None,
        model: str | None = None,
        z_seed: int = 0,
        z_temperature: float | None = None,
        refine: int = 0,
        progress: Callable[[int, int], None] | None = None,
        pick: bool = False,
    ) -> bytes:
        """Encode a Pillow image. ``model`` defaults to the registry's choice for scale and format. ``pick``
        (without ``model``) also encodes with the registry's alternatives for the scale, format and quality
        (:func:`irncodec.registry.alternatives`, e.g. ``irn-x2-colour`` for graphics) and keeps the file that
        decodes closest to the input: a forward and an inverse pass more per alternative, plus one for the
        default. ``refine`` spends that many gradient steps on the LR (:meth:`refine`, slow: each costs about
        three inverse passes) and keeps the refined file only if it decodes closer to the input."""
        if pick and model is not None:
            raise ValueError(f"pick chooses the model; it cannot be combined with model {model}")
        analysis = self.analyze(image, scale=scale, lr_format=lr_format, model=model, quality=quality)
        data = self.package(analysis, lr_format, quality, z_seed=z_seed, z_temperature=z_temperature)
        others = alternatives(scale, lr_format, _lr_quality(lr_format, quality)) if pick else []
        if others:
            candidates = [(analysis, data)]
            for spec in others:
                name = spec.ref
                other = self.analyze(image, scale=scale, lr_format=lr_format, model=name, quality=quality)
                candidates.append((other, self.package(other, lr_format, quality, z_seed, z_temperature)))
            # the default first: a tie keeps it
            analysis, data = min(candidates, key=lambda c: self._error(c[1], c[0].spec, c[0].image))
        if refine > 0:
            data = self._refined(analysis, data, refine, lr_format, quality, z_seed, z_temperature, progress)
        return data


class Decoder:
    """Decodes ``.irn`` bytes with the exact inverse of IRN (Xiao et al., ECCV 2020); keeps its models loaded.

    ``precision`` is the arithmetic of the inverse pass: ``"auto"`` is fp32 on
    the CPU and fp16 on CUDA (fp16 changed Set5 PSNR by under 0.01 dB against
    fp32 for both shipped models, measured in CPU emulation; bf16 cost 0.12 dB
    at x2, so it is only used when asked for).
    """

    def __init__(
        self,
        device: str | torch.device = "auto",
        tile: int = DEFAULT_TILE,
        limits: Limits | None = None,
        precision: str = "auto",
    ) -> None:
        self.device = resolve_device(device)
        self.tile = tile
        self.limits = limits or Limits()
        if precision == "auto":
            precision = "fp16" if self.device.type == "cuda" else "fp32"
        if precision not in PRECISIONS:
            raise DeviceError(f"unknown precision {precision!r}; use auto, {', '.join(PRECISIONS)}")
        self.precision = precision
        # Channels-last: 1.2x (x4) to 1.7x (x2) faster inverse passes on the CPU (benchmarks/speed.py --runtimes).
        self._cache = _ModelCache(self.device, torch.channels_last, PRECISIONS[precision])

    def parse(self, data: bytes) -> IrnFile:
        """Parse and validate the container (no pixels decoded)."""
        return unpack(data, self.limits)

    def decode_lr(self, data: bytes) -> Image.Image:
        """The LR image carried in the file, as a plain RGB image."""
        f = self.parse(data)
        return Image.fromarray(imageio.read_plane(f.lr, f.header.lr_format, f.header.lr_size, "RGB", "LR image"))

    def _prepare(self, data: bytes) -> tuple[IrnFile, ModelSpec, np.ndarray, np.ndarray | None]:
        """Parse one file, find its model and decode its LR and alpha planes (all checks, no network)."""
        f = self.parse(data)
        h = f.header
        spec = find_model(h.model, h.model_hash)
        if spec.kind != "codec":
            raise UnknownModelError(f"model {spec.id} is a {spec.kind}, not a codec model")
        if spec.scale != h.scale:
            raise PayloadError(f"file says scale {h.scale} but model {spec.id} is for scale {spec.scale}")
        lr = imageio.read_plane(f.lr, h.lr_format, h.lr_size, "RGB", "LR image")
        alpha = None
        if f.alpha is not None:
            alpha = imageio.read_plane(f.alpha, "png", (h.width, h.height), "L", "alpha plane")
        return f, spec, lr, alpha

    def _invert(self, spec: ModelSpec, files: list[IrnFile], lrs: list[np.ndarray]) -> list[np.ndarray]:
        """The inverse pass of same-model, same-size files in one batch; uint8 H x W x 3 per file."""
        return _invert(self._cache.get(spec), files, lrs, self.device, self.tile, PRECISIONS[self.precision])

    def decode(self, data: bytes) -> Image.Image:
        """Reconstruct the HR image in the input's (sensible) mode, with its ICC profile and EXIF."""
        f, spec, lr, alpha = self._prepare(data)
        (rgb,) = self._invert(spec, [f], [lr])
        h = f.header
        return imageio.finish_image(rgb, alpha, h.mode, h.icc_profile, h.exif)

    def decode_many(self, files: list[bytes], batch: int = 8) -> list[Image.Image]:
        """Decode many files, running the inverse on batches of up to ``batch`` files that share a model and
        LR size (for servers, chiefly on a GPU). Pixels equal :meth:`decode`'s up to float rounding.

        Every file is parsed and its planes decoded before any network runs, so a malformed file raises
        before work is done. All planes are held at once: give a server's batch, not a whole archive.
        """
        prepared = [self._prepare(d) for d in files]
        groups: dict[tuple, list[int]] = {}
        for i, (_, spec, lr, _) in enumerate(prepared):
            groups.setdefault((spec.id, spec.sha256, lr.shape), []).append(i)
        rgbs: dict[int, np.ndarray] = {}
        for members in groups.values():
            for start in range(0, len(members), max(batch, 1)):
                chunk = members[start : start + max(batch, 1)]
                spec = prepared[chunk[0]][1]
                out = self._invert(spec, [prepared[i][0] for i in chunk], [prepared[i][2] for i in chunk])
                rgbs.update(zip(chunk, out, strict=True))
        images = []
        for i, (f, _, _, alpha) in enumerate(prepared):
            h = f.header
            images.append(imageio.finish_image(rgbs[i], alpha, h.mode, h.icc_profile, h.exif))
        return images


def encode(
    image: Image.Image | str | os.PathLike,
    scale: int = 2,
    lr_format: str = "png",
    quality: int | None = None,
    model: str | None = None,
    z_seed: int = 0,
    device: str = "auto",
    refine: int = 0,
    pick: bool = False,
) -> bytes:
    """One-shot encode of a Pillow image, or an image file's path, to ``.irn`` bytes (loads the model each call;
    see :class:`Encoder`)."""
    if isinstance(image, (str, os.PathLike)):
        image = imageio.open_image(image)
    elif not isinstance(image, Image.Image):
        raise TypeError(f"encode takes a PIL image or a path, not {type(image).__name__}")
    return Encoder(device=device).encode(
        image, scale=scale, lr_format=lr_format, quality=quality, model=model, z_seed=z_seed, refine=refine, pick=pick
    )


def decode(data: bytes | str | os.PathLike, device: str = "auto") -> Image.Image:
    """One-shot decode of ``.irn`` bytes, or a ``.irn`` file's path, to a Pillow image (loads the model each call;
    see :class:`Decoder`)."""
    if isinstance(data, (str, os.PathLike)):
        try:
            data = read_file(data)
        except FileNotFoundError:
            raise InputImageError(f"{data}: no such file") from None
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode takes .irn bytes or a path, not {type(data).__name__}")
    return Decoder(device=device).decode(bytes(data))
