"""Untrusted files and real-world inputs: forged files through the whole decoder, odd images, batches."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import msgpack
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bitstream import FormatError, Limits, pack, unpack
from bitstream.container import HEADER_KEYS, with_header
from irncodec.cli import EXIT_BAD_INPUT, EXIT_BATCH, main
from irncodec.codec import Decoder, encode
from irncodec.errors import CodecError, InputImageError
from irncodec.imageio import write_atomic
from tests.test_bitstream import _forge


def _valid(photo: Image.Image) -> bytes:
    return encode(photo, lr_format="jpeg", quality=70, device="cpu")


def test_lr_bomb_behind_a_small_header_is_refused_before_decoding(tiny_models: dict, photo: Image.Image) -> None:
    f = unpack(_valid(photo))
    big = io.BytesIO()
    Image.new("RGB", (8000, 8000)).save(big, format="PNG")  # ~64 MP of zeros, a few hundred KB
    forged = pack(type(f)(header=with_header(f, lr_format="png").header, lr=big.getvalue()))
    with pytest.raises(FormatError, match="header says"):
        Decoder(device="cpu").decode(forged)


def test_pixel_limit_is_configurable(tiny_models: dict, photo: Image.Image) -> None:
    data = _valid(photo)
    with pytest.raises(FormatError, match="limit"):
        Decoder(device="cpu", limits=Limits(max_pixels=100)).decode(data)


def _mutate_header(data: bytes, key: str, value: object) -> bytes:
    """Re-pack a valid file with one raw header value replaced, keeping the checksum valid (a forger can)."""
    from bitstream.container import CHECKSUM_BYTES, PREAMBLE

    _, _, _, head_len, _ = PREAMBLE.unpack_from(data)
    meta = msgpack.unpackb(data[PREAMBLE.size : PREAMBLE.size + head_len], raw=False)
    sections = data[PREAMBLE.size + head_len : -CHECKSUM_BYTES]
    meta[key] = value
    return _forge(meta, sections)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(HEADER_KEYS),
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**64 - 1),
        st.floats(),
        st.text(max_size=20),
        st.binary(max_size=40),
        st.lists(st.integers(-5, 10**6), max_size=3),
        st.sampled_from([1, 2, 4, 8, 3, 37, 29, 36, 28, "RGB", "L", "png", "jpeg", "webp"]),
    ),
)
def test_forged_fields_give_typed_errors_through_the_whole_decoder(
    tiny_models: dict, photo: Image.Image, key: str, value: object
) -> None:
    forged = _mutate_header(_valid(photo), key, value)
    try:
        out = Decoder(device="cpu").decode(forged)
    except (FormatError, CodecError):
        return
    assert out.size[0] >= 1 and out.size[1] >= 1  # a forged file that is still valid decodes to something sane


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pos=st.integers(min_value=0), value=st.integers(0, 255))
def test_forged_payload_bytes_give_typed_errors(tiny_models: dict, photo: Image.Image, pos: int, value: int) -> None:
    f = unpack(_valid(photo))
    lr = bytearray(f.lr)
    lr[pos % len(lr)] = value
    with contextlib.suppress(FormatError, CodecError):  # anything else fails the test
        Decoder(device="cpu").decode(pack(type(f)(header=f.header, lr=bytes(lr), alpha=f.alpha)))


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animated_images_are_refused(tiny_models: dict, tmp_path: Path, fmt: str) -> None:
    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "blue")]
    path = tmp_path / f"anim.{fmt.lower()}"
    frames[0].save(path, format=fmt, save_all=True, append_images=frames[1:])
    with pytest.raises(InputImageError, match="animated"):
        encode(Image.open(path), device="cpu")


def test_truncated_and_non_image_inputs(tiny_models: dict, tmp_path: Path, photo: Image.Image) -> None:
    runner = CliRunner()
    good = io.BytesIO()
    photo.save(good, format="PNG")
    (tmp_path / "cut.png").write_bytes(good.getvalue()[:100])
    (tmp_path / "text.png").write_text("not an image")
    for name in ("cut.png", "text.png"):
        res = runner.invoke(main, ["encode", str(tmp_path / name), "--device", "cpu"])
        assert res.exit_code == EXIT_BAD_INPUT and name in res.stderr, res.output


def test_cmyk_jpeg_and_panorama(tiny_models: dict, photo: Image.Image) -> None:
    buf = io.BytesIO()
    photo.convert("CMYK").save(buf, format="JPEG")
    out = Decoder(device="cpu").decode(encode(Image.open(buf), device="cpu"))
    assert out.mode == "RGB" and out.size == photo.size
    pano = Image.fromarray(np.random.default_rng(0).integers(0, 256, (3, 1500, 3), dtype=np.uint8))
    out = Decoder(device="cpu", tile=64).decode(encode(pano, scale=4, device="cpu"))
    assert out.size == (1500, 3)


def test_interrupted_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.irn"
    target.write_bytes(b"old")

    def ctrl_c(fd: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C after the bytes were written, before the rename

    monkeypatch.setattr(os, "fsync", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new content")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.irn"]


def _batch_inputs(tmp_path: Path, photo: Image.Image) -> list[str]:
    photo.save(tmp_path / "a.png")
    photo.convert("L").save(tmp_path / "b.jpg")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    photo.rotate(90, expand=True).save(tmp_path / "c.webp")
    return [str(tmp_path / n) for n in ("a.png", "broken.png", "b.jpg", "c.webp")]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_keeps_going_past_a_broken_file(
    tiny_models: dict, tmp_path: Path, photo: Image.Image, workers: str
) -> None:
    if workers == "2":
        pytest.importorskip("multiprocessing")
    runner = CliRunner()
    inputs = _batch_inputs(tmp_path, photo)
    out = tmp_path / "out"
    res = runner.invoke(main, ["encode", *inputs, "-d", str(out), "--device", "cpu", "-j", workers])
    assert res.exit_code == EXIT_BATCH, res.output
    assert "broken.png" in res.stderr and "3 ok, 1 failed" in res.stderr
    assert "encode: 4/4 in " in res.stderr  # not a terminal: the progress is a line, not a bar
    assert sorted(p.name for p in out.iterdir()) == ["a.irn", "b.irn", "c.irn"]
    (out / "junk.irn").write_bytes(b"junk")
    dec = tmp_path / "dec"
    res = runner.invoke(main, ["decode", *sorted(map(str, out.iterdir())), "-d", str(dec), "--device", "cpu"])
    assert res.exit_code == EXIT_BATCH and "junk.irn" in res.stderr and "3 ok, 1 failed" in res.stderr
    assert sorted(p.name for p in dec.iterdir()) == ["a.png", "b.png", "c.png"]
    assert Image.open(dec / "c.png").size == (photo.height, photo.width)


def test_batch_output_collisions_and_usage(tiny_models: dict, tmp_path: Path, photo: Image.Image) -> None:
    runner = CliRunner()
    photo.save(tmp_path / "x.png")
    photo.save(tmp_path / "x.jpg")
    res = runner.invoke(main, ["encode", str(tmp_path / "x.png"), str(tmp_path / "x.jpg"), "--device", "cpu"])
    assert res.exit_code == EXIT_BATCH and "would overwrite" in res.stderr
    res = runner.invoke(main, ["encode", str(tmp_path / "x.png"), str(tmp_path / "x.jpg"), "-o", "y.irn"])
    assert res.exit_code == 2


def test_outputs_get_normal_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "f.irn", b"x")
    finally:
        os.umask(umask)
    assert (tmp_path / "f.irn").stat().st_mode & 0o777 == 0o644


def test_read_file_checks_the_size_first(tmp_path: Path) -> None:
    from bitstream import LimitError, read_file

    (tmp_path / "big.irn").write_bytes(bytes(1000))
    with pytest.raises(LimitError):
        read_file(tmp_path / "big.irn", Limits(max_file_bytes=999))
    assert len(read_file(tmp_path / "big.irn")) == 1000


def test_bad_device_is_a_typed_error(tiny_models: dict, photo: Image.Image) -> None:
    from irncodec.errors import DeviceError

    with pytest.raises(DeviceError):
        Decoder(device="tpu:7")
    with pytest.raises(DeviceError):
        Decoder(device="cuda:99")


def test_unexpected_errors_do_not_stop_a_batch(tmp_path: Path) -> None:
    from irncodec.batch import Job, run_jobs

    def flaky(job: Job, options: dict) -> dict:
        if job.src.name == "b":
            raise RuntimeError("CUDA out of memory")
        return {}

    jobs = [Job(tmp_path / n, tmp_path / (n + ".out")) for n in "abc"]
    results = list(run_jobs(flaky, jobs, {}))
    assert [r.kind for r in results] == ["ok", "internal", "ok"]
    assert "RuntimeError" in results[1].message


def _slow_job(job: object, options: dict) -> dict:
    """A worker-process job (module level, so it pickles): leaves a mark, then takes a while."""
    import time

    Path(options["marks"], job.src.name).touch()  # type: ignore[attr-defined]
    time.sleep(0.5)
    return {}


def test_a_batch_in_worker_processes_stops_when_its_caller_stops(tmp_path: Path) -> None:
    """Leaving the loop early (as Ctrl-C does) cancels the jobs that have not started, instead of waiting for the
    whole batch."""
    from irncodec.batch import Job, run_jobs

    jobs = [Job(tmp_path / f"in{i}", tmp_path / f"out{i}") for i in range(16)]
    results = run_jobs(_slow_job, jobs, {"marks": str(tmp_path)}, workers=2)
    assert next(results).ok
    results.close()  # what an exception in the caller's loop does to the generator
    started = len(list(tmp_path.glob("in*")))
    assert started < 8, started  # 2 workers x 0.5 s each: a few jobs, not all 16
