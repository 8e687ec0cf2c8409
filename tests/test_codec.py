"""Encode/decode through tiny random models: sizes, modes, alpha, metadata, determinism, errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, JpegImagePlugin

from bitstream import BadMagicError, pack, unpack
from bitstream.container import with_header
from irncodec import registry
from irncodec.codec import BudgetCandidate, Decoder, Encoder, decode, encode
from irncodec.errors import BudgetError, DeviceError, InputImageError, PayloadError, UnknownModelError, WeightsError
from irncodec.imageio import encode_plane
from irncodec.metrics import psnr
from irncodec.rescale import map_tiles, pad_to_multiple, sample_z


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("size", [(1, 1), (3, 5), (37, 29), (64, 48)])
def test_round_trip_keeps_size(tiny_models: dict, scale: int, size: tuple[int, int]) -> None:
    im = Image.fromarray(np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    data = encode(im, scale=scale, device="cpu")
    header = unpack(data).header
    assert (header.width, header.height) == size
    assert header.lr_size == (-(-size[0] // scale), -(-size[1] // scale))
    out = decode(data, device="cpu")
    assert out.size == size and out.mode == "RGB"


@pytest.mark.parametrize("lr_format", ["png", "jpeg", "webp"])
def test_lr_formats_are_stored_as_asked(tiny_models: dict, photo: Image.Image, lr_format: str) -> None:
    data = encode(photo, lr_format=lr_format, quality=80, device="cpu")
    f = unpack(data)
    assert f.header.lr_format == lr_format
    assert f.header.lr_quality == (None if lr_format == "png" else 80)
    assert Image.open(io.BytesIO(f.lr)).format == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[lr_format]
    assert decode(data, device="cpu").size == photo.size


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("L", "L"),
        ("LA", "LA"),
        ("RGB", "RGB"),
        ("RGBA", "RGBA"),
        ("P", "RGB"),
        ("1", "L"),
        ("CMYK", "RGB"),
        ("I;16", "I;16"),
    ],
)
def test_modes_come_back_sensibly(tiny_models: dict, photo: Image.Image, mode: str, expected: str) -> None:
    if mode == "I;16":
        src = Image.fromarray(np.asarray(photo.convert("L"), dtype=np.uint16) * 257)
    else:
        src = photo.convert(mode)
    assert src.mode == mode
    out = decode(encode(src, device="cpu"), device="cpu")
    assert out.size == src.size and out.mode == expected


def test_alpha_is_kept_exactly(tiny_models: dict, photo: Image.Image) -> None:
    alpha = np.random.default_rng(2).integers(0, 256, (photo.height, photo.width), dtype=np.uint8)
    src = photo.copy()
    src.putalpha(Image.fromarray(alpha))
    out = decode(encode(src, lr_format="jpeg", device="cpu"), device="cpu")
    assert np.array_equal(np.asarray(out.getchannel("A")), alpha)


def test_palette_transparency_becomes_alpha(tiny_models: dict, photo: Image.Image) -> None:
    p = photo.convert("P")
    p.info["transparency"] = 0
    out = decode(encode(p, device="cpu"), device="cpu")
    assert out.mode == "RGBA"
    assert np.array_equal(np.asarray(out.getchannel("A")), np.asarray(p.convert("RGBA").getchannel("A")))


def test_second_decode_gives_identical_pixels(tiny_models: dict, photo: Image.Image) -> None:
    data = encode(photo, z_seed=7, device="cpu")
    dec = Decoder(device="cpu")
    first = np.asarray(dec.decode(data))
    assert np.array_equal(first, np.asarray(dec.decode(data)))
    assert np.array_equal(first, np.asarray(Decoder(device="cpu").decode(data)))


def test_seed_and_temperature_drive_z(tiny_models: dict, photo: Image.Image) -> None:
    a = encode(photo, z_seed=1, device="cpu")
    b = encode(photo, z_seed=2, device="cpu")
    assert unpack(a).header.z_temperature == 0.5  # the tiny model's declared temperature
    assert not np.array_equal(np.asarray(decode(a, device="cpu")), np.asarray(decode(b, device="cpu")))
    cold = pack(with_header(unpack(a), z_temperature=0.0))
    colder = pack(with_header(unpack(b), z_temperature=0.0))
    assert np.array_equal(np.asarray(decode(cold, device="cpu")), np.asarray(decode(colder, device="cpu")))


def test_sample_z_is_reproducible_and_scaled() -> None:
    z1, z2 = sample_z((1, 9, 64, 64), 3, 0.5), sample_z((1, 9, 64, 64), 3, 0.5)
    assert torch.equal(z1, z2)
    assert abs(z1.std().item() - 0.5) < 0.02
    assert not sample_z((1, 9, 4, 4), 3, 0.0).any()


def test_metadata_travels(tiny_models: dict, photo: Image.Image) -> None:
    src = photo.copy()
    src.info["icc_profile"] = b"fake-icc-profile" * 4
    exif = Image.Exif()
    exif[0x010F] = "irncodec-test-camera"  # Make
    src.info["exif"] = exif.tobytes()
    buf = io.BytesIO()
    src.save(buf, format="PNG", icc_profile=src.info["icc_profile"], exif=src.info["exif"])
    out = decode(encode(Image.open(buf), device="cpu"), device="cpu")
    assert out.info["icc_profile"] == src.info["icc_profile"]
    reread = Image.Exif()
    reread.load(out.info["exif"])
    assert reread[0x010F] == "irncodec-test-camera"


def test_exif_orientation_is_applied(tiny_models: dict, photo: Image.Image) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", exif=exif.tobytes())
    out = decode(encode(Image.open(buf), device="cpu"), device="cpu")
    assert out.size == (photo.height, photo.width)
    reread = Image.Exif()
    if out.info.get("exif"):
        reread.load(out.info["exif"])
    assert 0x0112 not in reread


def test_tiling_matches_untiled(tiny_models: dict) -> None:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:150, 0:200]
    img = np.clip(np.stack([xx, yy, xx + yy], -1) + rng.normal(0, 10, (150, 200, 3)), 0, 255).astype(np.uint8)
    im = Image.fromarray(img)
    whole = Encoder(device="cpu", tile=0).encode(im, z_seed=5)
    tiled = Encoder(device="cpu", tile=16).encode(im, z_seed=5)
    ref = torch.from_numpy(np.asarray(Decoder(device="cpu", tile=0).decode(whole), dtype=np.float32))
    for data in (whole, tiled):
        out = torch.from_numpy(np.asarray(Decoder(device="cpu", tile=16).decode(data), dtype=np.float32))
        assert psnr(out, ref, peak=255.0) > 45.0


def test_map_tiles_covers_every_pixel() -> None:
    x = torch.rand(1, 2, 10, 14)
    out = map_tiles(lambda t, _: t.repeat_interleave(2, -1).repeat_interleave(2, -2), x, 1, 2, 2, tile=3, overlap=1)
    torch.testing.assert_close(out, x.repeat_interleave(2, -1).repeat_interleave(2, -2))


def test_pad_to_multiple_handles_tiny_images() -> None:
    assert pad_to_multiple(torch.rand(1, 3, 1, 1), 4).shape == (1, 3, 4, 4)
    assert pad_to_multiple(torch.rand(1, 3, 5, 6), 2).shape == (1, 3, 6, 6)


def test_unknown_model_lists_installed(tiny_models: dict, photo: Image.Image) -> None:
    with pytest.raises(UnknownModelError, match="installed: tiny-x2, tiny-x4 "):  # each id once
        encode(photo, model="irn-x9", device="cpu")
    data = pack(with_header(unpack(encode(photo, device="cpu")), model_hash="00000000deadbeef"))
    with pytest.raises(UnknownModelError, match=f"versions of tiny-x2: {tiny_models[2].ref} "):
        decode(data, device="cpu")


def test_tampered_weights_are_refused(tiny_models: dict, photo: Image.Image) -> None:
    path = tiny_models[2].path
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(WeightsError, match="sha256"):
        encode(photo, device="cpu")


def test_payload_that_lies_about_its_size_is_refused(tiny_models: dict, photo: Image.Image) -> None:
    f = unpack(encode(photo, device="cpu"))
    with pytest.raises(PayloadError, match="header says"):
        decode(pack(with_header(f, width=f.header.width + 4)), device="cpu")
    with pytest.raises(PayloadError):
        decode(pack(with_header(f, lr_format="jpeg")), device="cpu")


def test_bad_encoder_arguments(tiny_models: dict, photo: Image.Image) -> None:
    with pytest.raises(InputImageError):
        encode(photo, lr_format="gif", device="cpu")
    with pytest.raises(UnknownModelError):
        encode(photo, scale=8, device="cpu")
    with pytest.raises(InputImageError, match="scale"):
        encode(photo, scale=4, model="tiny-x2", device="cpu")


def test_registry_finds_by_hash_prefix(tiny_models: dict) -> None:
    spec = tiny_models[4]
    assert registry.find_model("tiny-x4", spec.sha256[:16]) is spec
    assert registry.default_model(4) is spec
    # the id@hash form that installed_models() and the error messages print
    assert f"tiny-x4@{spec.hash_prefix}" in registry.installed_models()
    assert registry.find_model(f"tiny-x4@{spec.hash_prefix}") is spec
    with pytest.raises(UnknownModelError, match="versions of tiny-x4"):
        registry.find_model("tiny-x4@00000000")
    with pytest.raises(UnknownModelError, match="names no weights"):
        registry.find_model("tiny-x4@")


@pytest.mark.parametrize("lr_format", ["jpeg", "webp"])
def test_budget_picks_the_highest_quality_that_fits(tiny_models: dict, lr_format: str) -> None:
    rng = np.random.default_rng(4)
    im = Image.fromarray(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
    enc = Encoder(device="cpu")
    sizes = {q: len(enc.encode(im, lr_format=lr_format, quality=q)) for q in range(0, 101, 5)}
    budget = (sizes[40] + sizes[60]) // 2
    data, quality = enc.encode_to_budget(im, budget, lr_format=lr_format)
    assert len(data) <= budget and 40 <= quality < 60
    assert len(enc.encode(im, lr_format=lr_format, quality=quality + 1)) > budget or quality == 100
    assert unpack(data).header.lr_quality == quality
    with pytest.raises(BudgetError, match="quality 0"):
        enc.encode_to_budget(im, 100, lr_format=lr_format)
    tried: list[BudgetCandidate] = []
    assert enc.encode_to_budget(im, budget, lr_format=lr_format, on_try=tried.append) == (data, quality)
    assert (registry.default_model(2, lr_format).ref, quality, len(data), None) in tried  # the winner was reported
    assert len(tried) == len(set(tried)) >= 3 and all(c.mse is None for c in tried)  # one band: nothing to compare
    assert all(c.size == sizes[c.quality] for c in tried if c.quality in sizes)  # the sizes are the files'


def test_budget_with_png_fits_or_says_why(tiny_models: dict, photo: Image.Image) -> None:
    enc = Encoder(device="cpu")
    size = len(enc.encode(photo))
    assert enc.encode_to_budget(photo, size, lr_format="png") == (enc.encode(photo), None)
    with pytest.raises(BudgetError, match="JPEG or WebP LR"):
        enc.encode_to_budget(photo, size - 1, lr_format="png")


def test_budget_tries_every_scale_and_keeps_the_closer_fit(
    tiny_models: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``scale=None`` searches x2 and x4: a budget only x4 meets takes x4; where both fit, the file that decodes
    closer to the input wins (an untrained IRN, Haar down and up, beats a randomised one on a smooth image)."""
    import dataclasses

    from irncodec.models import IRN
    from tests.conftest import TINY

    yy, xx = np.mgrid[0:64, 0:96]
    im = Image.fromarray((np.stack([xx * 2, yy * 3, xx + yy], -1) + 20).astype(np.uint8))
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    assert registry.codec_scales() == [2, 4]
    noise = Image.fromarray(np.random.default_rng(6).integers(0, 256, (64, 96, 3), dtype=np.uint8))
    for lr_format, q in (("png", None), ("jpeg", 0)):
        x2, x4 = (len(enc.encode(noise, scale=s, lr_format=lr_format, quality=q)) for s in (2, 4))
        assert x4 < x2
        data, _ = enc.encode_to_budget(noise, x2 - 1, scale=None, lr_format=lr_format)
        assert unpack(data).header.scale == 4 and len(data) <= x2 - 1
        with pytest.raises(BudgetError, match="scale 4"):
            enc.encode_to_budget(noise, x4 - 1, scale=None, lr_format=lr_format)
        with pytest.raises(BudgetError, match="--scale auto"):  # the default, x2 only
            enc.encode_to_budget(noise, x2 - 1, lr_format=lr_format)
        for fixed in ({"scale": 4}, {"model": "tiny-x2"}):  # no larger scale to point to
            with pytest.raises(BudgetError) as info:
                enc.encode_to_budget(noise, 10, lr_format=lr_format, **fixed)
            assert "--scale auto" not in str(info.value)
    with pytest.raises(InputImageError, match="scale 2, not 4"):
        enc.encode_to_budget(noise, 10_000, scale=4, model="tiny-x2")
    data, _ = enc.encode_to_budget(noise, 10_000, scale=None, model="tiny-x4")  # a pinned model fixes the scale
    assert unpack(data).header.scale == 4
    for good_scale in (2, 4):
        path = tmp_path / f"untrained-x{good_scale}.pt"
        torch.save(IRN(scale=good_scale, **TINY).state_dict(), path)
        good = dataclasses.replace(
            tiny_models[good_scale], weights=str(path), sha256=registry.sha256_file(path), temperature=0.0
        )
        models = (good, tiny_models[6 - good_scale])
        monkeypatch.setattr(registry, "MODELS", tuple(sorted(models, key=lambda m: m.scale)))
        data, _ = enc.encode_to_budget(im, 100_000, scale=None, lr_format="png")  # both fit
        assert unpack(data).header.scale == good_scale
        other = enc.encode(im, scale=6 - good_scale)
        assert _mse(dec.decode(data), im) < _mse(dec.decode(other), im)


def test_budget_auto_leaves_out_a_scale_without_every_quality(
    tiny_models: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    partial = dataclasses.replace(tiny_models[4], lr_formats=("jpeg",), lr_qualities=(0, 50))
    monkeypatch.setattr(registry, "MODELS", (tiny_models[2], partial))
    im = Image.fromarray(np.random.default_rng(8).integers(0, 256, (64, 96, 3), dtype=np.uint8))
    enc = Encoder(device="cpu")
    data, _ = enc.encode_to_budget(im, 100_000, scale=None, lr_format="jpeg")
    assert unpack(data).header.scale == 2
    with pytest.raises(UnknownModelError, match="scale 4"):
        enc.encode_to_budget(im, 100_000, scale=4, lr_format="jpeg")
    monkeypatch.setattr(registry, "MODELS", (partial,))
    with pytest.raises(UnknownModelError, match="every quality"):
        enc.encode_to_budget(im, 100_000, scale=None, lr_format="jpeg")


def test_package_matches_encode(tiny_models: dict, photo: Image.Image) -> None:
    enc = Encoder(device="cpu")
    analysis = enc.analyze(photo, lr_format="webp")
    for q in (10, 90):
        assert enc.package(analysis, "webp", q, z_seed=3) == enc.encode(photo, lr_format="webp", quality=q, z_seed=3)


def test_one_shot_functions_take_paths_and_refuse_other_types(
    tiny_models: dict, photo: Image.Image, tmp_path: Path
) -> None:
    photo.save(tmp_path / "p.png")
    data = encode(tmp_path / "p.png", device="cpu")
    assert data == encode(photo, device="cpu")
    (tmp_path / "p.irn").write_bytes(data)
    assert np.array_equal(np.asarray(decode(str(tmp_path / "p.irn"), device="cpu")), np.asarray(decode(data)))
    with pytest.raises(InputImageError, match="no such file"):
        encode(tmp_path / "missing.png", device="cpu")
    with pytest.raises(TypeError, match="PIL image or a path"):
        encode(np.zeros((4, 4, 3), np.uint8), device="cpu")  # type: ignore[arg-type]
    with pytest.raises(InputImageError, match="no such file"):
        decode(tmp_path / "missing.irn", device="cpu")
    with pytest.raises(TypeError, match="bytes or a path"):
        decode(12, device="cpu")  # type: ignore[arg-type]


def test_header_records_the_default_quality(tiny_models: dict, photo: Image.Image) -> None:
    assert unpack(encode(photo, lr_format="jpeg", device="cpu")).header.lr_quality == 90


@pytest.mark.parametrize("ext", ["jpg", "webp", "gif", "bmp"])
def test_16_bit_output_in_an_8_bit_format_keeps_its_levels(tiny_models: dict, tmp_path: Path, ext: str) -> None:
    from irncodec.imageio import save_image

    im = Image.fromarray(np.full((8, 8), 40000, dtype=np.uint16))
    save_image(im, tmp_path / f"g.{ext}")
    level = np.asarray(Image.open(tmp_path / f"g.{ext}").convert("L"), dtype=float).mean()
    assert abs(level - 40000 / 257) <= 2


@pytest.mark.parametrize("ext", ["jpg", "bmp", "gif"])
def test_alpha_goes_only_where_it_is_kept(tmp_path: Path, ext: str) -> None:
    """Formats without 8-bit alpha get an image with alpha only when it is fully opaque; PNG, WebP, TIFF keep it."""
    from irncodec.imageio import save_image

    opaque = Image.new("RGBA", (8, 8), (10, 200, 30, 255))
    save_image(opaque, tmp_path / f"o.{ext}")
    assert Image.open(tmp_path / f"o.{ext}").convert("RGBA").getextrema()[3] == (255, 255)
    clear = opaque.copy()
    clear.putpixel((1, 1), (0, 0, 0, 128))
    with pytest.raises(InputImageError, match="transparent"):
        save_image(clear, tmp_path / f"c.{ext}")
    assert not (tmp_path / f"c.{ext}").exists()
    for kept in ("png", "webp", "tiff"):
        save_image(clear, tmp_path / f"c.{kept}")
        assert Image.open(tmp_path / f"c.{kept}").getpixel((1, 1))[3] == 128


def test_decode_many_matches_decode_one_by_one(tiny_models: dict, photo: Image.Image) -> None:
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    other = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    files = [
        enc.encode(photo, scale=2, z_seed=1),
        enc.encode(other, scale=2, z_seed=2),  # same size and model: batched with the first
        enc.encode(photo, scale=4),  # another model
        enc.encode(photo.convert("RGBA"), scale=2, z_seed=3),  # alpha, batched with the first two
    ]
    many = dec.decode_many(files, batch=2)
    assert [im.mode for im in many] == ["RGB", "RGB", "RGB", "RGBA"]
    for data, got in zip(files, many, strict=True):
        want = np.asarray(dec.decode(data), dtype=np.int16)
        assert np.abs(np.asarray(got, dtype=np.int16) - want).max() <= 1
    with pytest.raises(BadMagicError):
        dec.decode_many([files[0], b"not an irn file"])


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_reduced_precision_decodes_close_to_fp32(tiny_models: dict, photo: Image.Image, precision: str) -> None:
    data = Encoder(device="cpu").encode(photo, scale=2)
    ref = torch.from_numpy(np.array(Decoder(device="cpu").decode(data))).float() / 255
    low = torch.from_numpy(np.array(Decoder(device="cpu", precision=precision).decode(data))).float() / 255
    assert psnr(low, ref) > 35.0
    with pytest.raises(DeviceError, match="precision"):
        Decoder(device="cpu", precision="fp8")


def test_lr_format_picks_its_model_and_every_registered_model_still_decodes(
    tiny_models: dict, photo: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    lossless = dataclasses.replace(tiny_models[2], lr_formats=("png",))
    aware = dataclasses.replace(tiny_models[2], id="tiny-x2-lossy", lr_formats=("jpeg", "webp"))
    monkeypatch.setattr(registry, "MODELS", (lossless, aware))
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    assert unpack(enc.encode(photo, lr_format="png")).header.model == "tiny-x2"
    for fmt in ("jpeg", "webp"):
        assert unpack(enc.encode(photo, lr_format=fmt)).header.model == "tiny-x2-lossy"
    old = enc.encode(photo, lr_format="jpeg", model="tiny-x2")  # a file made before the lossy model existed
    assert dec.decode(old).size == photo.size


def test_a_file_decodes_with_its_own_weights_after_newer_ones_ship(
    tiny_models: dict, photo: Image.Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shipping better weights under the same id keeps the old entry (default=False): old files name its hash."""
    import dataclasses

    from tests.conftest import make_tiny_irn

    old = tiny_models[2]
    path = tmp_path / "tiny-x2-new.pt"
    torch.save(make_tiny_irn(2, seed=7).state_dict(), path)
    new = dataclasses.replace(old, weights=str(path), sha256=registry.sha256_file(path))
    monkeypatch.setattr(registry, "MODELS", (old,))
    old_file = Encoder(device="cpu").encode(photo)
    before = np.asarray(Decoder(device="cpu").decode(old_file))
    monkeypatch.setattr(registry, "MODELS", (new, dataclasses.replace(old, default=False)))
    assert unpack(Encoder(device="cpu").encode(photo)).header.model_hash == new.hash_prefix
    assert np.array_equal(np.asarray(Decoder(device="cpu").decode(old_file)), before)


@pytest.mark.parametrize("quality", [30, 75, 95])
def test_jpeg_lr_is_pillows_pixels_in_no_more_bytes(quality: int) -> None:
    rng = np.random.default_rng(quality)
    yy, xx = np.mgrid[0:96, 0:128]
    smooth = np.stack([np.sin(xx / 9.0), np.cos(yy / 7.0), np.sin((xx + yy) / 13.0)], -1) * 90 + 128
    im = Image.fromarray(np.clip(smooth + rng.normal(0, 12, smooth.shape), 0, 255).astype(np.uint8))
    plain = io.BytesIO()
    im.save(plain, format="JPEG", quality=quality)
    ours = encode_plane(im, "jpeg", quality)
    assert len(ours) < len(plain.getvalue())
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(ours))), np.asarray(Image.open(plain)))


def test_jpeg_lr_larger_than_one_byte_per_pixel_is_written() -> None:
    """Grain at 4:4:4 q75 needs about 1.13 bytes per pixel, more than Pillow's buffer for optimised tables holds
    (libjpeg: "Suspension not allowed here"); the plane is still written, the same pixels as Pillow's plain save."""
    from PIL import ImageFile

    im = Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8))
    with pytest.raises(OSError, match="broken data stream"):  # the failure this guards against, in Pillow itself
        im.save(io.BytesIO(), format="JPEG", quality=75, optimize=True, subsampling=0)
    maxblock = ImageFile.MAXBLOCK
    data = encode_plane(im, "jpeg", 75, "444")
    assert maxblock == ImageFile.MAXBLOCK  # restored
    assert len(data) > 256 * 256
    plain = io.BytesIO()
    im.save(plain, format="JPEG", quality=75, subsampling=0)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), np.asarray(Image.open(plain)))


def test_quality_bands_pick_their_model_and_the_budget_search_spans_them(
    tiny_models: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from tests.conftest import make_tiny_irn

    path = tmp_path / "tiny-x2-high.pt"
    torch.save(make_tiny_irn(2, seed=9).state_dict(), path)
    low = dataclasses.replace(tiny_models[2], id="tiny-x2-low", lr_formats=("jpeg",), lr_qualities=(0, 80))
    high = dataclasses.replace(
        low,
        id="tiny-x2-high",
        weights=str(path),
        sha256=registry.sha256_file(path),
        lr_qualities=(81, 100),
        lr_chroma="444",
    )
    lossless = dataclasses.replace(tiny_models[2], lr_formats=("png",))
    monkeypatch.setattr(registry, "MODELS", (lossless, low, high))
    rng = np.random.default_rng(5)
    im = Image.fromarray(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    analyses = {m.id: enc.analyze(im, lr_format="jpeg", model=m.id) for m in (low, high)}
    files = {q: enc.package(analyses[(low if q <= 80 else high).id], "jpeg", q) for q in range(0, 101)}
    for q in (80, 81):  # encode picks the band's model by itself, and makes the same file
        assert enc.encode(im, lr_format="jpeg", quality=q) == files[q]
    assert unpack(files[80]).header.model == "tiny-x2-low" and unpack(files[81]).header.model == "tiny-x2-high"
    # each band's JPEG has its model's chroma sampling (Pillow: 2 = 4:2:0, 0 = 4:4:4)
    assert JpegImagePlugin.get_sampling(Image.open(io.BytesIO(unpack(files[80]).lr))) == 2
    assert JpegImagePlugin.get_sampling(Image.open(io.BytesIO(unpack(files[81]).lr))) == 0
    assert unpack(enc.encode(im, lr_format="jpeg")).header.model == "tiny-x2-high"  # the default quality, 90
    assert unpack(enc.encode(im)).header.model == "tiny-x2"
    for q in (80, 81):
        assert dec.decode(files[q]).size == im.size
    for target in (60, 90):
        budget = len(files[target])
        data, quality = enc.encode_to_budget(im, budget, lr_format="jpeg")
        # each band's highest quality that fits; where both bands have one, the closer decode wins
        fits = [max((q for q in band if len(files[q]) <= budget), default=None) for band in (range(81), range(81, 101))]
        fits = [q for q in fits if q is not None]
        best = min(fits, key=lambda q: _mse(dec.decode(files[q]), im))
        assert data == files[quality] and len(data) <= budget
        assert quality == best


def _mse(a: Image.Image, b: Image.Image) -> float:
    return float(np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2))


@pytest.mark.parametrize("good_band", ["low", "high", "alternative", "pick"])
def test_budget_takes_the_band_whose_file_decodes_closer(
    tiny_models: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good_band: str
) -> None:
    """An untrained IRN (identity couplings: Haar down and up) beats a randomised one on a smooth image, so the
    budget search must return the untrained one's band, whichever band it serves, also when it is only an
    alternative to the randomised default of the high band, and ("pick") when it is the default of the low band
    and an alternative over the high one (``pick_qualities``): then it must come back at a high quality."""
    import dataclasses

    from irncodec.models import IRN
    from tests.conftest import TINY

    path = tmp_path / "tiny-x2-untrained.pt"
    torch.save(IRN(scale=2, **TINY).state_dict(), path)
    good = dataclasses.replace(tiny_models[2], id="tiny-good", weights=str(path), sha256=registry.sha256_file(path))
    bad = dataclasses.replace(tiny_models[2], id="tiny-bad")
    bands = {"low": (0, 60), "high": (61, 100), "alternative": (61, 100), "pick": (61, 100)}
    other = "high" if good_band in ("low", "pick") else "low"
    alternative = good_band == "alternative"
    good = dataclasses.replace(
        good, lr_formats=("jpeg",), lr_qualities=bands[good_band], temperature=0.0, alternative=alternative
    )
    if good_band == "pick":
        good = dataclasses.replace(good, lr_qualities=bands["low"], pick_qualities=bands["pick"])
        assert good.alternative_band == (61, 100)
    bad = dataclasses.replace(bad, lr_formats=("jpeg",), lr_qualities=bands[other])
    models = (good, bad) + (
        (dataclasses.replace(bad, id="tiny-bad-high", lr_qualities=(61, 100)),) if alternative else ()
    )
    monkeypatch.setattr(registry, "MODELS", models)
    yy, xx = np.mgrid[0:64, 0:96]
    im = Image.fromarray((np.stack([xx * 2, yy * 3, xx + yy], -1) + 20).astype(np.uint8))
    enc, dec = Encoder(device="cpu"), Decoder(device="cpu")
    if alternative:  # chosen by the budget search only
        assert registry.default_model(2, "jpeg", 90).id == "tiny-bad-high"
        other = "alternative"
    budget = max(len(enc.encode(im, lr_format="jpeg", quality=q, model=m.id)) for m in models for q in (60, 100))
    tried: list[BudgetCandidate] = []
    data, quality = enc.encode_to_budget(im, budget, lr_format="jpeg", on_try=tried.append)  # every band fits
    assert unpack(data).header.model == "tiny-good"
    decoded = [c for c in tried if c.mse is not None]  # each band's fit, decoded to compare them
    assert len(decoded) >= len(models) and len(set(decoded)) == len(decoded)
    assert {c[:3] for c in decoded} <= {c[:3] for c in tried if c.mse is None}  # each was packaged first
    assert min(decoded, key=lambda c: c.mse)[:3] == (good.ref, quality, len(data))
    assert min(c.mse for c in decoded) == pytest.approx(_mse(dec.decode(data), im), rel=1e-6)
    assert bands[good_band][0] <= quality <= bands[good_band][1]
    top_of_other = enc.encode(im, lr_format="jpeg", quality=bands[other][1])
    assert _mse(dec.decode(data), im) < _mse(dec.decode(top_of_other), im)
    if good_band == "pick":  # at a fixed quality of its alternative band too, and only with pick
        assert unpack(enc.encode(im, lr_format="jpeg", quality=90, pick=True)).header.model == "tiny-good"
        assert unpack(enc.encode(im, lr_format="jpeg", quality=90)).header.model == "tiny-bad"


@pytest.mark.parametrize("good_is_alternative", [True, False])
def test_pick_keeps_the_model_whose_png_file_decodes_closer(
    tiny_models: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good_is_alternative: bool
) -> None:
    """With ``pick`` the encoder also tries the alternatives for PNG and keeps the closer decode (the untrained
    IRN, Haar down and up, beats a randomised one on a smooth image); a PNG budget does the same; without
    ``pick`` the default is used, and ``pick`` with a pinned model is refused."""
    import dataclasses

    from irncodec.models import IRN
    from tests.conftest import TINY

    path = tmp_path / "tiny-x2-untrained.pt"
    torch.save(IRN(scale=2, **TINY).state_dict(), path)
    good = dataclasses.replace(tiny_models[2], id="tiny-good", weights=str(path), sha256=registry.sha256_file(path))
    bad = dataclasses.replace(tiny_models[2], id="tiny-bad")
    default, alternative = (bad, good) if good_is_alternative else (good, bad)
    alternative = dataclasses.replace(alternative, lr_formats=("png",), temperature=0.0, alternative=True)
    default = dataclasses.replace(default, lr_formats=("png",), temperature=0.0)
    monkeypatch.setattr(registry, "MODELS", (default, alternative))
    yy, xx = np.mgrid[0:64, 0:96]
    im = Image.fromarray((np.stack([xx * 2, yy * 3, xx + yy], -1) + 20).astype(np.uint8))
    enc = Encoder(device="cpu")
    assert unpack(enc.encode(im)).header.model == default.id
    assert unpack(enc.encode(im, pick=True)).header.model == "tiny-good"
    data, _ = enc.encode_to_budget(im, 10**6, lr_format="png")
    assert unpack(data).header.model == "tiny-good"
    with pytest.raises(ValueError, match="pick"):
        enc.encode(im, pick=True, model=default.id)


def test_pick_with_a_jpeg_lr_tries_only_the_alternatives_of_the_quality(
    tiny_models: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from irncodec.models import IRN
    from tests.conftest import TINY

    path = tmp_path / "tiny-x2-untrained.pt"
    torch.save(IRN(scale=2, **TINY).state_dict(), path)
    good = dataclasses.replace(
        tiny_models[2], id="tiny-good", weights=str(path), sha256=registry.sha256_file(path), lr_formats=("jpeg",)
    )
    good = dataclasses.replace(good, lr_qualities=(70, 100), temperature=0.0, alternative=True)
    bad = dataclasses.replace(tiny_models[2], id="tiny-bad", lr_formats=("jpeg",), temperature=0.0)
    monkeypatch.setattr(registry, "MODELS", (bad, good))
    yy, xx = np.mgrid[0:64, 0:96]
    im = Image.fromarray((np.stack([xx * 2, yy * 3, xx + yy], -1) + 20).astype(np.uint8))
    enc = Encoder(device="cpu")
    assert unpack(enc.encode(im, lr_format="jpeg", quality=60, pick=True)).header.model == "tiny-bad"
    assert unpack(enc.encode(im, lr_format="jpeg", quality=90, pick=True)).header.model == "tiny-good"
    assert unpack(enc.encode(im, lr_format="jpeg", quality=90)).header.model == "tiny-bad"


def test_budget_with_a_pinned_model_keeps_its_weights(
    tiny_models: dict, photo: Image.Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from tests.conftest import make_tiny_irn

    path = tmp_path / "tiny-x2-new.pt"
    torch.save(make_tiny_irn(2, seed=7).state_dict(), path)
    old = dataclasses.replace(tiny_models[2], default=False)
    new = dataclasses.replace(tiny_models[2], weights=str(path), sha256=registry.sha256_file(path))
    monkeypatch.setattr(registry, "MODELS", (new, old))
    data, _ = Encoder(device="cpu").encode_to_budget(
        photo, 10_000, lr_format="jpeg", model=f"tiny-x2@{old.hash_prefix}"
    )
    assert unpack(data).header.model_hash == old.hash_prefix


def test_package_refuses_an_unknown_chroma_sampling(tiny_models: dict, photo: Image.Image) -> None:
    enc = Encoder(device="cpu")
    analysis = enc.analyze(photo, lr_format="jpeg")
    with pytest.raises(InputImageError, match="chroma"):
        enc.package(analysis, "jpeg", 75, lr_chroma="422")


def test_corrected_model_sends_its_corrected_lr_and_decodes_with_the_plain_inverse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, photo: Image.Image
) -> None:
    """An ``irn-lc`` model's files carry the corrector's LR; the decoder runs only the IRN inverse on it."""
    from irncodec.models import CorrectedIRN
    from irncodec.rescale import downscale, quantize, upscale
    from tests.conftest import TINY, make_tiny_irn

    plain = make_tiny_irn(2, seed=2)
    corrected = CorrectedIRN(scale=2, corrector_features=4, corrector_blocks=1, **TINY)
    corrected.load_state_dict(plain.state_dict(), strict=False)
    torch.nn.init.normal_(corrected.corrector.tail.weight, std=0.05)
    path = tmp_path / "tiny-lc.pt"
    torch.save(corrected.state_dict(), path)
    kwargs = {"scale": 2, "corrector_features": 4, "corrector_blocks": 1, **TINY}
    spec = registry.ModelSpec("tiny-lc", "irn-lc", kwargs, str(path), registry.sha256_file(path))
    monkeypatch.setattr(registry, "MODELS", (spec,))
    data = Encoder(device="cpu", tile=8).encode(photo)  # tiles: the corrector runs per tile too
    lr = np.array(Image.open(io.BytesIO(unpack(data).lr)).convert("RGB"))
    x = pad_to_multiple(torch.from_numpy(np.array(photo)).permute(2, 0, 1)[None].float() / 255, 2)
    with torch.no_grad():
        own = (downscale(corrected.eval(), x)[0].permute(1, 2, 0).numpy() * 255).round()
        irn = (downscale(plain, x)[0].permute(1, 2, 0).numpy() * 255).round()
        y = torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255
        expected = quantize(upscale(plain, y, torch.zeros(1, 9, *y.shape[-2:])))[0, :, :29, :37]
    assert np.abs(lr.astype(float) - irn).max() >= 1  # the corrector moved the LR
    assert np.abs(lr.astype(float) - own).mean() < 0.05  # as the untiled corrected forward pass (tile seams aside)
    got = torch.from_numpy(np.array(decode(data))).permute(2, 0, 1).float() / 255
    torch.testing.assert_close(got, expected, atol=1 / 255 + 1e-6, rtol=0)
