"""The container: round trips, each corruption class, limits, and no torch import."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitstream import (
    MAGIC,
    BadMagicError,
    ChecksumError,
    FieldError,
    FormatError,
    Header,
    HeaderError,
    IrnFile,
    LimitError,
    Limits,
    TruncatedError,
    UnsupportedVersionError,
    pack,
    unpack,
)
from bitstream.container import CHECKSUM_BYTES, PREAMBLE, with_header

HEADER = Header(
    scale=2,
    model="irn-x2",
    model_hash="0123456789abcdef",
    width=37,
    height=29,
    mode="RGBA",
    lr_format="jpeg",
    lr_quality=85,
    z_seed=12345,
    z_temperature=0.5,
    icc_profile=b"icc" * 100,
    exif=b"Exif\x00\x00" + bytes(range(50)),
)
FILE = IrnFile(header=HEADER, lr=b"LR-bytes" * 20, alpha=b"alpha" * 10)


def _forge(meta: dict, body_extra: bytes = b"", version: int = 1) -> bytes:
    """A file with an arbitrary header and a valid checksum, as an attacker could write."""
    head = msgpack.packb(meta, use_bin_type=True)
    total = PREAMBLE.size + len(head) + len(body_extra) + CHECKSUM_BYTES
    body = PREAMBLE.pack(MAGIC, version, 0, len(head), total) + head + body_extra
    return body + hashlib.blake2b(body, digest_size=CHECKSUM_BYTES).digest()


def _meta(**changes: object) -> dict:
    meta = {
        "scale": 2,
        "model": "irn-x2",
        "model_hash": "0123456789abcdef",
        "width": 4,
        "height": 4,
        "mode": "RGB",
        "lr_format": "png",
        "lr_quality": None,
        "z_seed": 0,
        "z_temperature": 0.0,
        "sections": [["lr", 3]],
    }
    meta.update(changes)
    return meta


def test_round_trip_keeps_every_field() -> None:
    data = pack(FILE)
    assert data.startswith(MAGIC)
    back = unpack(data)
    assert back == FILE
    assert back.header.lr_size == (19, 15)


def test_round_trip_without_optional_parts() -> None:
    f = IrnFile(header=with_header(FILE, icc_profile=None, exif=None, lr_quality=None, lr_format="png").header, lr=b"x")
    assert unpack(pack(f)) == f


def test_bad_magic() -> None:
    with pytest.raises(BadMagicError):
        unpack(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(BadMagicError):
        unpack(b"")


def test_unknown_version() -> None:
    data = bytearray(pack(FILE))
    struct.pack_into(">H", data, 8, 2)
    with pytest.raises(UnsupportedVersionError):
        unpack(bytes(data))


def test_every_truncation_is_a_typed_error() -> None:
    data = pack(FILE)
    for cut in range(len(data)):
        with pytest.raises(FormatError):
            unpack(data[:cut])
    with pytest.raises(TruncatedError):
        unpack(data[:-1])


def test_every_single_bit_flip_is_detected() -> None:
    data = pack(FILE)
    for pos in range(len(data)):
        for bit in (0, 5):
            bad = bytearray(data)
            bad[pos] ^= 1 << bit
            with pytest.raises(FormatError):
                unpack(bytes(bad))


def test_flip_in_the_payload_is_a_checksum_error() -> None:
    data = bytearray(pack(FILE))
    data[len(data) - CHECKSUM_BYTES - 5] ^= 0x10
    with pytest.raises(ChecksumError):
        unpack(bytes(data))


def test_trailing_bytes_are_rejected() -> None:
    with pytest.raises(HeaderError, match="after the end"):
        unpack(pack(FILE) + b"\x00")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"scale": 3}, FieldError),
        ({"width": 0}, FieldError),
        ({"height": -5}, FieldError),
        ({"width": 1 << 21}, FieldError),
        ({"width": 100_000, "height": 100_000}, LimitError),
        ({"mode": "XYZ"}, FieldError),
        ({"lr_format": "gif"}, FieldError),
        ({"lr_quality": 101}, FieldError),
        ({"z_seed": -1}, FieldError),
        ({"z_temperature": float("nan")}, FieldError),
        ({"z_temperature": 9.0}, FieldError),
        ({"model_hash": "XYZ"}, FieldError),
        ({"model": ""}, FieldError),
        ({"width": "4"}, HeaderError),
        ({"scale": True}, HeaderError),
        ({"sections": [["lr", 10]]}, HeaderError),  # runs past the end
        ({"sections": [["lr", 1]]}, HeaderError),  # leaves bytes unaccounted for
        ({"sections": [["lr", 1], ["lr", 2]]}, HeaderError),
        ({"sections": [["thumbnail", 3]]}, HeaderError),
        ({"sections": []}, HeaderError),
    ],
)
def test_forged_headers_are_rejected(changes: dict, error: type) -> None:
    with pytest.raises(error):
        unpack(_forge(_meta(**changes), b"abc"))


def test_missing_field_and_non_map_header() -> None:
    meta = _meta()
    del meta["z_seed"]
    with pytest.raises(HeaderError, match="z_seed"):
        unpack(_forge(meta, b"abc"))
    with pytest.raises(HeaderError, match="map"):
        unpack(_forge([1, 2, 3], b"abc"))  # type: ignore[arg-type]


def test_header_length_past_the_end_is_caught_before_parsing() -> None:
    data = bytearray(_forge(_meta(), b"abc"))
    struct.pack_into(">I", data, 12, 1000)
    with pytest.raises(FormatError):
        unpack(bytes(data))


def test_limits_are_checked_before_allocation() -> None:
    data = pack(FILE)
    with pytest.raises(LimitError):
        unpack(data, Limits(max_file_bytes=100))
    with pytest.raises(LimitError):
        unpack(data, Limits(max_header_bytes=10))
    with pytest.raises(LimitError):
        unpack(data, Limits(max_pixels=37 * 29 - 1))
    with pytest.raises(LimitError):
        unpack(data, Limits(max_metadata_bytes=100))


def test_forged_zstd_bomb_in_metadata_is_refused() -> None:
    import zstandard

    bomb = zstandard.ZstdCompressor().compress(bytes(50 << 20))
    with pytest.raises(LimitError):
        unpack(_forge(_meta(icc=bomb), b"abc"))


def test_pack_refuses_out_of_range_fields() -> None:
    with pytest.raises(FieldError):
        pack(with_header(FILE, scale=5))


def test_bitstream_does_not_import_torch() -> None:
    code = "import sys, bitstream; bitstream.unpack; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_format_errors(data: bytes) -> None:
    with pytest.raises(FormatError):
        unpack(data)
    with pytest.raises(FormatError):
        unpack(MAGIC + data)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_random_byte_changes_raise_only_format_errors(pos: int, value: int) -> None:
    data = bytearray(pack(FILE))
    pos %= len(data)
    if data[pos] == value:
        return
    data[pos] = value
    with pytest.raises(FormatError):
        unpack(bytes(data))


def test_cli_does_not_import_torch_until_a_command_needs_it() -> None:
    code = "import sys, irncodec.cli; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
