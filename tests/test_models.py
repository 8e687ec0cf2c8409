"""Invertibility of every op and of whole networks; Haar's LL band; constructor contracts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from irncodec.models import (
    IRN,
    AffineCoupling,
    CompressionAwareIRN,
    CorrectedIRN,
    HaarDownsampling,
    InvertibleSequential,
)
from tests.conftest import make_tiny_irn


def test_haar_ll_is_2x2_mean_and_inverse_is_exact() -> None:
    x = torch.rand(2, 3, 10, 14, dtype=torch.float64)
    haar = HaarDownsampling(3)
    out = haar(x)
    assert out.shape == (2, 12, 5, 7)
    torch.testing.assert_close(out[:, :3], F.avg_pool2d(x, 2), atol=1e-12, rtol=0)
    assert (haar(out, rev=True) - x).abs().max() < 1e-12


def test_haar_detail_bands_of_a_flat_image_are_zero() -> None:
    out = HaarDownsampling(3)(torch.full((1, 3, 4, 4), 0.7))
    assert out[:, 3:].abs().max() < 1e-7


def test_haar_rejects_odd_sizes_and_wrong_channels() -> None:
    with pytest.raises(ValueError, match="even"):
        HaarDownsampling(3)(torch.rand(1, 3, 5, 4))
    with pytest.raises(ValueError, match="channels"):
        HaarDownsampling(3)(torch.rand(1, 4, 4, 4))


def test_fresh_coupling_is_identity_and_random_one_inverts() -> None:
    block = AffineCoupling(12, split=3, growth=8)
    x = torch.randn(2, 12, 6, 6)
    torch.testing.assert_close(block(x), x)
    with torch.no_grad():
        for p in block.parameters():
            p.normal_(0, 0.1)
    y = block(x)
    assert (y - x).abs().max() > 1e-2  # not the identity any more
    assert (block(y, rev=True) - x).abs().max() < 1e-5


def test_coupling_scale_is_clamped() -> None:
    block = AffineCoupling(6, split=3, growth=4, clamp=1.0)
    with torch.no_grad():
        for p in block.parameters():
            p.normal_(0, 5.0)
    x = torch.ones(1, 6, 4, 4)
    y2 = block(x)[:, 3:] - block.g(block(x)[:, :3])
    assert y2.abs().max() <= torch.e + 1e-4  # |x2 * exp(s)| with |s| <= 1


@pytest.mark.parametrize("scale", [2, 4])
def test_whole_network_inverts(scale: int) -> None:
    net = make_tiny_irn(scale)
    x = torch.rand(2, 3, 8 * scale, 6 * scale)
    with torch.no_grad():
        out = net(x)
        assert out.shape == (2, 3 * scale * scale, 8, 6)
        assert (net(out, rev=True) - x).abs().max() < 1e-4
        y, z = net.downscale(x)
        assert y.shape[1] == 3 and z.shape[1] == net.latent_channels
        assert (net.upscale(y, z) - x).abs().max() < 1e-4


def test_full_size_networks_match_the_paper_parameter_counts() -> None:
    assert sum(p.numel() for p in IRN(scale=2).parameters()) == 1_667_952  # "1.67M"
    assert sum(p.numel() for p in IRN(scale=4).parameters()) == 4_355_136  # "4.36M"


def test_irn_rejects_non_power_of_two_scales() -> None:
    with pytest.raises(ValueError, match="power of two"):
        IRN(scale=3)


def test_sequential_reverses_op_order() -> None:
    seq = InvertibleSequential([HaarDownsampling(1), HaarDownsampling(4)])
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    out = seq(x)
    assert out.shape == (1, 16, 2, 2)
    assert (seq(out, rev=True) - x).abs().max() < 1e-12


def _extends(plain: IRN, extended: IRN, prefix: str) -> None:
    """Load ``plain``'s weights into ``extended``: they must fit, and only the tensors under ``prefix`` be new."""
    missing, unexpected = extended.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith(prefix) for k in missing)


def test_compression_aware_irn_starts_as_its_irn_and_its_restorer_acts_only_on_the_lr() -> None:
    torch.manual_seed(0)
    plain = IRN(scale=2, blocks=2, growth=8)
    aware = CompressionAwareIRN(scale=2, blocks=2, growth=8, restorer_features=8, restorer_blocks=2)
    _extends(plain, aware, "restorer.")
    x = torch.rand(2, 3, 16, 20)
    yz = plain(x)
    assert torch.equal(aware(x), yz)
    torch.testing.assert_close(aware(yz, rev=True), plain(yz, rev=True))  # zero-initialised tail: identity
    torch.nn.init.normal_(aware.restorer.tail.weight, std=0.1)
    restored = aware.restorer(yz[:, :3])
    assert (restored - yz[:, :3]).abs().max() > 1e-3
    torch.testing.assert_close(aware(yz, rev=True), plain(torch.cat((restored, yz[:, 3:]), 1), rev=True))


def test_corrected_irn_starts_as_its_irn_on_the_8_bit_grid_and_decodes_with_the_irn_inverse() -> None:
    torch.manual_seed(0)
    plain = IRN(scale=2, blocks=2, growth=8)
    corrected = CorrectedIRN(scale=2, blocks=2, growth=8, corrector_features=8, corrector_blocks=1)
    _extends(plain, corrected, "corrector.")
    x = torch.rand(2, 3, 16, 20, dtype=torch.float64)
    plain, corrected = plain.double(), corrected.double()
    yz = plain(x)
    out = corrected(x)
    assert torch.equal(out[:, 3:], yz[:, 3:])  # the latent is IRN's
    torch.testing.assert_close(out[:, :3], torch.round(yz[:, :3].clamp(0, 1) * 255) / 255)  # zero tail: 8-bit y
    assert torch.equal(corrected(yz, rev=True), plain(yz, rev=True))  # the decoder is the IRN
    torch.nn.init.normal_(corrected.corrector.tail.weight, std=0.1)
    torch.nn.init.constant_(corrected.corrector.tail.bias, 0.5)  # pushes the LR past white: it stops at 1
    moved = corrected(x)
    assert (moved[:, :3] - out[:, :3]).abs().max() > 1e-3
    assert moved[:, :3].max() == 1.0 and moved[:, :3].min() >= 0.0
    assert torch.equal(moved[:, 3:], yz[:, 3:])


def test_corrector_sees_the_decode_error() -> None:
    """The corrector's input includes x - decode(round(y)): the same LR with another HR image moves it."""
    torch.manual_seed(1)
    corrected = CorrectedIRN(scale=2, blocks=1, growth=4, corrector_features=4, corrector_blocks=0)
    torch.nn.init.normal_(corrected.corrector.tail.weight, std=0.1)
    y, x = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 8, 8)
    base = corrected.corrector(y, x, torch.zeros_like(x))
    assert not torch.allclose(corrected.corrector(y, x, torch.full_like(x, 0.01)), base)


def test_registry_builds_every_architecture() -> None:
    from irncodec.errors import UnknownModelError
    from irncodec.registry import build_model

    assert isinstance(build_model("irn-crm", {"scale": 4, "blocks": 1, "growth": 4}), CompressionAwareIRN)
    assert isinstance(build_model("irn-lc", {"scale": 2, "blocks": 1, "growth": 4}), CorrectedIRN)
    with pytest.raises(UnknownModelError, match="unknown architecture"):
        build_model("nope", {})
