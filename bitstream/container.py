"""Pack and unpack ``.irn`` files. The layout is documented in FORMAT.md.

This module imports only the standard library, msgpack and zstandard, so it
is safe to import anywhere (a Pillow plugin, a web server) without torch.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
from dataclasses import dataclass, field, replace

import msgpack
import zstandard

from bitstream.errors import (
    BadMagicError,
    ChecksumError,
    FieldError,
    HeaderError,
    LimitError,
    TruncatedError,
    UnsupportedVersionError,
)

__all__ = [
    "CHECKSUM_BYTES",
    "FORMAT_VERSION",
    "HEADER_KEYS",
    "LR_FORMATS",
    "MAGIC",
    "MODES",
    "PREAMBLE",
    "Header",
    "IrnFile",
    "Limits",
    "is_irn",
    "pack",
    "read_file",
    "unpack",
]

MAGIC = b"\x89IRN\r\n\x1a\n"
FORMAT_VERSION = 1
# magic, version (u16), flags (u16, zero), header length (u32), total file length (u64); big-endian.
PREAMBLE = struct.Struct(">8sHHIQ")
CHECKSUM_BYTES = 16  # BLAKE2b-128 of every byte before it
LR_FORMATS = ("png", "jpeg", "webp")
MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "I;16", "I", "F", "CMYK")
SCALES = (2, 4, 8)
SECTION_NAMES = ("lr", "alpha")
HEADER_KEYS = (
    "scale",
    "model",
    "model_hash",
    "width",
    "height",
    "mode",
    "lr_format",
    "lr_quality",
    "z_seed",
    "z_temperature",
    "sections",
    "icc",
    "exif",
)  # the version-1 keys; FORMAT.md documents each
_MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Limits:
    """What a reader accepts. Checked before anything is allocated for a size read from the file."""

    max_file_bytes: int = 1 << 30
    max_header_bytes: int = 1 << 22
    max_pixels: int = 178_956_970  # HR pixels; Pillow's decompression-bomb error threshold
    max_metadata_bytes: int = 1 << 24  # each decompressed ICC/EXIF block


@dataclass(frozen=True)
class Header:
    """The decoded header of an ``.irn`` file (field names as in FORMAT.md)."""

    scale: int
    model: str
    model_hash: str
    width: int
    height: int
    mode: str
    lr_format: str
    lr_quality: int | None
    z_seed: int
    z_temperature: float
    icc_profile: bytes | None = None
    exif: bytes | None = None

    @property
    def lr_size(self) -> tuple[int, int]:
        """(width, height) of the LR image: the HR size padded up to a multiple of the scale, divided."""
        return -(-self.width // self.scale), -(-self.height // self.scale)


@dataclass(frozen=True)
class IrnFile:
    """A whole ``.irn`` file: the header, the LR image bytes and, for images with alpha, a lossless alpha plane."""

    header: Header
    lr: bytes
    alpha: bytes | None = None
    extra: dict = field(default_factory=dict, compare=False)  # unknown header keys, kept for inspection


def _compress(data: bytes | None) -> bytes | None:
    return None if data is None else zstandard.ZstdCompressor(level=10, write_content_size=True).compress(data)


def _decompress(data: bytes, name: str, limits: Limits) -> bytes:
    try:
        size = zstandard.frame_content_size(data)
    except zstandard.ZstdError as exc:
        raise HeaderError(f"{name}: not a zstd frame ({exc})") from None
    if size < 0:
        raise HeaderError(f"{name}: zstd frame without a content size")
    if size > limits.max_metadata_bytes:
        raise LimitError(f"{name}: {size} bytes decompressed exceeds the limit of {limits.max_metadata_bytes}")
    try:
        out = zstandard.ZstdDecompressor().decompress(data, max_output_size=limits.max_metadata_bytes)
    except zstandard.ZstdError as exc:
        raise HeaderError(f"{name}: corrupt zstd data ({exc})") from None
    if len(out) != size:
        raise HeaderError(f"{name}: decompressed to {len(out)} bytes, frame says {size}")
    return out


def _check_header(h: Header, limits: Limits) -> None:
    """Raise :class:`FieldError` or :class:`LimitError` for out-of-range header fields."""
    if h.scale not in SCALES:
        raise FieldError(f"scale {h.scale} is not one of {SCALES}")
    if not 1 <= len(h.model) <= 64:
        raise FieldError("model id must be 1 to 64 characters")
    if not 8 <= len(h.model_hash) <= 64 or any(c not in "0123456789abcdef" for c in h.model_hash):
        raise FieldError(f"model_hash {h.model_hash!r} is not 8-64 lowercase hex digits")
    if not (1 <= h.width <= 1 << 20 and 1 <= h.height <= 1 << 20):
        raise FieldError(f"image size {h.width}x{h.height} out of range")
    if h.width * h.height > limits.max_pixels:
        raise LimitError(f"image of {h.width}x{h.height} pixels exceeds the limit of {limits.max_pixels}")
    if h.mode not in MODES:
        raise FieldError(f"mode {h.mode!r} is not one of {MODES}")
    if h.lr_format not in LR_FORMATS:
        raise FieldError(f"lr_format {h.lr_format!r} is not one of {LR_FORMATS}")
    if h.lr_quality is not None and not 0 <= h.lr_quality <= 100:
        raise FieldError(f"lr_quality {h.lr_quality} is not in [0, 100]")
    if not 0 <= h.z_seed <= _MAX_SEED:
        raise FieldError(f"z_seed {h.z_seed} is not in [0, 2^63)")
    if not (math.isfinite(h.z_temperature) and 0.0 <= h.z_temperature <= 4.0):
        raise FieldError(f"z_temperature {h.z_temperature} is not in [0, 4]")


def pack(f: IrnFile) -> bytes:
    """Serialise an :class:`IrnFile`; raises :class:`FieldError` if a field is out of range."""
    h = f.header
    _check_header(h, Limits(max_pixels=1 << 40))
    sections = [("lr", f.lr)] + ([("alpha", f.alpha)] if f.alpha is not None else [])
    meta = {
        "scale": h.scale,
        "model": h.model,
        "model_hash": h.model_hash,
        "width": h.width,
        "height": h.height,
        "mode": h.mode,
        "lr_format": h.lr_format,
        "lr_quality": h.lr_quality,
        "z_seed": h.z_seed,
        "z_temperature": float(h.z_temperature),
        "sections": [[name, len(data)] for name, data in sections],
    }
    if h.icc_profile is not None:
        meta["icc"] = _compress(h.icc_profile)
    if h.exif is not None:
        meta["exif"] = _compress(h.exif)
    head = msgpack.packb(meta, use_bin_type=True)
    total = PREAMBLE.size + len(head) + sum(len(d) for _, d in sections) + CHECKSUM_BYTES
    body = b"".join([PREAMBLE.pack(MAGIC, FORMAT_VERSION, 0, len(head), total), head, *(d for _, d in sections)])
    return body + hashlib.blake2b(body, digest_size=CHECKSUM_BYTES).digest()


def read_file(path: str | os.PathLike, limits: Limits | None = None) -> bytes:
    """Read a file's bytes, refusing one larger than ``limits.max_file_bytes`` before reading it."""
    limits = limits or Limits()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limits.max_file_bytes:
            raise LimitError(f"file of {size} bytes exceeds the limit of {limits.max_file_bytes}")
        return fh.read(limits.max_file_bytes + 1)


def is_irn(prefix: bytes) -> bool:
    """True if ``prefix`` (at least the first 8 bytes of a file) starts with the ``.irn`` magic."""
    return prefix[: len(MAGIC)] == MAGIC


def _get(meta: dict, key: str, types: type | tuple[type, ...], optional: bool = False) -> object:
    if key not in meta:
        if optional:
            return None
        raise HeaderError(f"header field {key!r} is missing")
    value = meta[key]
    if value is None and optional:
        return None
    if not isinstance(value, types) or isinstance(value, bool):
        raise HeaderError(f"header field {key!r} has type {type(value).__name__}")
    return value


def unpack(data: bytes, limits: Limits | None = None) -> IrnFile:
    """Parse and validate ``.irn`` bytes; every malformed input raises a :class:`FormatError` subclass.

    Checks run in this order: magic, version, the lengths in the preamble
    against ``limits`` and the data at hand, the checksum, then the header's
    fields and the section lengths.
    """
    limits = limits or Limits()
    data = bytes(data)
    if len(data) < len(MAGIC) or not is_irn(data):
        raise BadMagicError("not an .irn file (bad magic bytes)")
    if len(data) < PREAMBLE.size + CHECKSUM_BYTES:
        raise TruncatedError(f"file of {len(data)} bytes is shorter than the preamble and checksum")
    _, version, flags, head_len, total = PREAMBLE.unpack_from(data)
    if version != FORMAT_VERSION:
        raise UnsupportedVersionError(f"format version {version} (this reader knows {FORMAT_VERSION})")
    if total > limits.max_file_bytes:
        raise LimitError(f"file length {total} exceeds the limit of {limits.max_file_bytes}")
    if head_len > limits.max_header_bytes:
        raise LimitError(f"header length {head_len} exceeds the limit of {limits.max_header_bytes}")
    if len(data) < total:
        raise TruncatedError(f"file has {len(data)} bytes, its preamble says {total}")
    if len(data) > total:
        raise HeaderError(f"{len(data) - total} unexpected bytes after the end of the file")
    body, digest = data[:-CHECKSUM_BYTES], data[-CHECKSUM_BYTES:]
    if hashlib.blake2b(body, digest_size=CHECKSUM_BYTES).digest() != digest:
        raise ChecksumError("checksum mismatch: the file is corrupt")
    if flags != 0:
        raise HeaderError(f"unknown flags {flags:#06x}")
    end_head = PREAMBLE.size + head_len
    if end_head > len(body):
        raise HeaderError("header length runs past the end of the file")
    try:
        meta = msgpack.unpackb(
            body[PREAMBLE.size : end_head],
            raw=False,
            strict_map_key=True,
            max_bin_len=head_len,
            max_str_len=head_len,
            max_array_len=64,
            max_map_len=64,
        )
    except Exception as exc:  # msgpack raises several unrelated types for bad input
        raise HeaderError(f"header is not valid msgpack ({type(exc).__name__})") from None
    if not isinstance(meta, dict):
        raise HeaderError("header is not a msgpack map")
    quality = _get(meta, "lr_quality", int, optional=True)
    temperature = _get(meta, "z_temperature", (float, int))
    icc = _get(meta, "icc", bytes, optional=True)
    exif = _get(meta, "exif", bytes, optional=True)
    header = Header(
        scale=_get(meta, "scale", int),
        model=_get(meta, "model", str),
        model_hash=_get(meta, "model_hash", str),
        width=_get(meta, "width", int),
        height=_get(meta, "height", int),
        mode=_get(meta, "mode", str),
        lr_format=_get(meta, "lr_format", str),
        lr_quality=quality,
        z_seed=_get(meta, "z_seed", int),
        z_temperature=float(temperature),
        icc_profile=None if icc is None else _decompress(icc, "icc", limits),
        exif=None if exif is None else _decompress(exif, "exif", limits),
    )
    _check_header(header, limits)
    sections = _get(meta, "sections", list)
    parts: dict[str, bytes] = {}
    offset = end_head
    for entry in sections:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or entry[0] not in SECTION_NAMES
            or entry[0] in parts
            or not isinstance(entry[1], int)
            or isinstance(entry[1], bool)
            or entry[1] < 0
        ):
            raise HeaderError(f"bad section entry {entry!r}")
        name, length = entry
        if offset + length > len(body):
            raise HeaderError(f"section {name!r} runs past the end of the file")
        parts[name] = body[offset : offset + length]
        offset += length
    if offset != len(body):
        raise HeaderError(f"{len(body) - offset} bytes between the sections and the checksum")
    if "lr" not in parts:
        raise HeaderError("the file has no LR section")

    return IrnFile(
        header=header,
        lr=parts["lr"],
        alpha=parts.get("alpha"),
        extra={k: v for k, v in meta.items() if k not in HEADER_KEYS},
    )


def with_header(f: IrnFile, **changes: object) -> IrnFile:
    """A copy of ``f`` with some header fields replaced."""
    return replace(f, header=replace(f.header, **changes))
