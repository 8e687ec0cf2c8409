"""The training loop: losses behave, a run resumes exactly, x4 starts from x2 weights."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from benchmarks.holdout_rd import model_from_spec
from irncodec.models import IRN, CompressionAwareIRN
from irncodec.train.loop import TrainConfig, irn_losses, lr_at, recipe_config, reconstruction_loss, train

CFG = TrainConfig(
    blocks=1, growth=4, patch=16, batch=2, steps=4, eval_every=2, holdout=1, bf16=False, checkpoint_seconds=1e9
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def _weights(run: Path) -> dict:
    return torch.load(run / "weights.pt", weights_only=True)


def _events(run: Path) -> list[dict]:
    """The run's log.jsonl events."""
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def _interrupt_at_step_three(cfg: TrainConfig, data_dir: Path, run: Path) -> None:
    """Start a run that is killed in the middle of its third step."""

    def interrupt_at_three(event: dict) -> None:
        if event["event"] == "step" and event["step"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg, data_dir, run, on_event=interrupt_at_three)


def test_interrupted_run_resumes_exactly(data_dir: Path, tmp_path: Path) -> None:
    cfg = dataclasses.replace(CFG, checkpoint_seconds=0.0)  # checkpoint after every step
    train(cfg, data_dir, tmp_path / "straight")

    _interrupt_at_step_three(cfg, data_dir, tmp_path / "split")
    assert torch.load(tmp_path / "split" / "last.pt", weights_only=True)["step"] == 2  # checkpointed every step
    with pytest.raises(ValueError, match="another config"):
        train(dataclasses.replace(cfg, lr=1e-3), data_dir, tmp_path / "split")
    train(cfg, data_dir, tmp_path / "split")
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert all(torch.equal(a[k], b[k]) for k in a)
    events = _events(tmp_path / "straight")
    evals = [e for e in events if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [2, 4] and all(np.isfinite(e["val_psnr"]) for e in evals)
    assert all(e["cpu"] >= 0.0 and np.isfinite(e["cpu"]) for e in evals)  # logged to 0.1 s: tiny steps round to 0


def test_a_run_resumes_with_other_arithmetic(data_dir: Path, tmp_path: Path) -> None:
    """bf16 depends on the machine (native_bf16), so a run started on one machine resumes on another; how often
    it validates is bookkeeping, so a resumed run may change that too."""
    train(CFG, data_dir, tmp_path / "run", max_seconds=0.0)
    assert torch.load(tmp_path / "run" / "last.pt", weights_only=True)["step"] == 0
    train(dataclasses.replace(CFG, bf16=True, eval_every=1), data_dir, tmp_path / "run")
    assert torch.load(tmp_path / "run" / "last.pt", weights_only=True)["step"] == CFG.steps


def test_losses_are_finite_and_give_gradients() -> None:
    torch.manual_seed(0)
    net = IRN(scale=2, blocks=1, growth=4)
    x = torch.rand(2, 3, 16, 16)
    losses = irn_losses(net, x, CFG, torch.Generator().manual_seed(0))
    assert all(torch.isfinite(v) for v in losses.values())
    losses["loss"].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_x4_starts_from_x2_weights(data_dir: Path, tmp_path: Path) -> None:
    x2 = IRN(scale=2, blocks=1, growth=4)
    with torch.no_grad():
        for p in x2.parameters():
            p.normal_()
    torch.save(x2.state_dict(), tmp_path / "x2.pt")
    cfg = dataclasses.replace(CFG, scale=4, steps=0)
    train(cfg, data_dir, tmp_path / "x4", init_from=tmp_path / "x2.pt")
    w = _weights(tmp_path / "x4")
    src = x2.state_dict()
    assert all(torch.equal(w[k], v) for k, v in src.items())
    assert len(w) > len(src)


def test_cosine_schedule_ends_at_lr_min() -> None:
    cfg = TrainConfig(steps=100)
    assert lr_at(cfg, 0) == pytest.approx(cfg.lr)
    assert lr_at(cfg, 100) == pytest.approx(cfg.lr_min)
    assert lr_at(dataclasses.replace(cfg, schedule="paper"), 250_000) == pytest.approx(cfg.lr / 4)


def test_sr_baseline_trains_and_starts_as_bicubic(data_dir: Path, tmp_path: Path) -> None:
    from irncodec.models.sr import EDSR
    from irncodec.rescale import bicubic_down

    net = EDSR(scale=2, features=8, blocks=1)
    y = torch.rand(1, 3, 8, 8)
    torch.testing.assert_close(net(y), F.interpolate(y, scale_factor=2, mode="bicubic"))
    cfg = dataclasses.replace(CFG, arch="edsr", features=8, blocks=1)
    train(cfg, data_dir, tmp_path / "sr")
    trained = EDSR(scale=2, features=8, blocks=1)
    trained.load_state_dict(_weights(tmp_path / "sr"))
    assert not torch.equal(trained.tail.weight, torch.zeros_like(trained.tail.weight))
    assert bicubic_down(torch.rand(1, 3, 16, 16), 2).shape == (1, 3, 8, 8)


@pytest.mark.parametrize(("arch", "codec"), [("irn", "jpeg"), ("irn-crm", "jpeg"), ("irn-lc", "jpeg"), ("irn", "webp")])
def test_compression_aware_training_runs_and_resumes(
    arch: str, codec: str, data_dir: Path, tmp_path: Path, tiny_models: dict
) -> None:
    cfg = dataclasses.replace(
        CFG,
        arch=arch,
        lr_codec=codec,
        lr_quality_min=40,
        lr_quality_max=60,
        steps=2,
        crm_features=4,
        crm_blocks=1,
        lc_features=4,
        lc_blocks=1,
    )
    train(cfg, data_dir, tmp_path / "jpeg")
    events = _events(tmp_path / "jpeg")
    assert [e["step"] for e in events if e["event"] == "eval"] == [2]
    assert all(e["val_bpp"] > 0 for e in events if e["event"] == "eval")
    last = torch.load(tmp_path / "jpeg" / "last.pt", weights_only=True)
    assert last["step"] == 2
    weights = torch.load(tmp_path / "jpeg" / "weights.pt", weights_only=True)
    assert any(k.startswith("restorer.") for k in weights) == (arch == "irn-crm")
    assert any(k.startswith("corrector.") for k in weights) == (arch == "irn-lc")
    # the held-out tools measure a run's weights with the run's own architecture, whatever the registered id's
    net = model_from_spec(f"{tiny_models[2].id}={tmp_path / 'jpeg' / 'weights.pt'}")
    assert isinstance(net, CompressionAwareIRN) == (arch == "irn-crm") and not net.training
    with pytest.raises(ValueError, match="x2 run"):  # never measured under another scale's label
        model_from_spec(f"{tiny_models[4].id}={tmp_path / 'jpeg' / 'weights.pt'}")
    # a bare id, or a state dict with no run beside it: the registered architecture
    registered = model_from_spec(tiny_models[2].id)
    torch.save({k: v + 1 for k, v in registered.state_dict().items()}, tmp_path / "plus_one.pt")
    plus_one = model_from_spec(f"{tiny_models[2].id}={tmp_path / 'plus_one.pt'}")
    assert type(plus_one) is type(registered) is IRN
    assert all(torch.equal(v + 1, plus_one.state_dict()[k]) for k, v in registered.state_dict().items())


@pytest.mark.parametrize("scale", [2, 4])
def test_recipes_set_the_lr_guidance_for_their_loss(scale: int) -> None:
    """The paper's scale**2 for the L1 recipes, none for the frozen-IRN corrector, scale**2 / 40 for the joint
    and jpeg-mse(-crm) recipes' squared error; an explicit weight always wins."""
    assert recipe_config("fast", scale).lambda_forw == scale**2
    assert recipe_config("corrector", scale).lambda_forw == 0.0
    joint = recipe_config("joint", scale)
    assert joint.lambda_forw == pytest.approx(scale**2 / 40) and not joint.freeze_irn and joint.back_loss == "l2"
    assert recipe_config("joint", scale, lambda_forw=2.5).lambda_forw == 2.5
    jpeg_lc = recipe_config("jpeg-lc", scale)
    assert (jpeg_lc.arch, jpeg_lc.lr_codec, jpeg_lc.lambda_forw) == ("irn-lc", "jpeg", scale**2)
    assert jpeg_lc.weight_decay == 0.0 and not jpeg_lc.freeze_irn
    jpeg_mse = recipe_config("jpeg-mse", scale)
    assert (jpeg_mse.arch, jpeg_mse.lr_codec, jpeg_mse.back_loss) == ("irn", "jpeg", "l2")
    assert jpeg_mse.lambda_forw == pytest.approx(scale**2 / 40)
    assert jpeg_mse.lambda_z == 0.0 and jpeg_mse.weight_decay == 0.0
    # the same losses with the LR restorer in front of the inverse
    assert recipe_config("jpeg-mse-crm", scale) == dataclasses.replace(jpeg_mse, arch="irn-crm")


def test_corrector_recipe_trains_only_the_corrector(data_dir: Path, tmp_path: Path) -> None:
    """Started from IRN weights, the recipe leaves every IRN tensor as it was: the decoder does not change."""
    torch.manual_seed(0)
    start = {k: v.contiguous() for k, v in IRN(scale=2, blocks=1, growth=4).state_dict().items()}
    torch.save(start, tmp_path / "irn.pt")
    cfg = dataclasses.replace(
        recipe_config("corrector", 2, blocks=1, growth=4, patch=16, batch=2, steps=3, eval_every=3, holdout=1),
        bf16=False,
        lc_features=4,
        lc_blocks=1,
        checkpoint_seconds=1e9,
    )
    train(cfg, data_dir, tmp_path / "lc", init_from=tmp_path / "irn.pt")
    weights = _weights(tmp_path / "lc")
    for k, v in start.items():
        assert torch.equal(weights[k], v), k
    assert weights["corrector.tail.weight"].abs().max() > 0  # the corrector left its zero start
    (init,) = [e for e in _events(tmp_path / "lc") if e["event"] == "init"]  # every IRN tensor loaded, corrector new
    assert (init["tensors"], init["skipped"]) == (len(start), 0) and init["fresh"] == len(weights) - len(start)
    with pytest.raises(ValueError, match="freeze_irn"):
        TrainConfig(freeze_irn=True)


def test_rate_term_adds_the_weighted_jpeg_rate_estimate() -> None:
    cfg = dataclasses.replace(CFG, lr_codec="jpeg", lr_quality_min=75, lr_quality_max=75)
    net = IRN(scale=2, blocks=1, growth=4)
    x = torch.rand(2, 3, 32, 32)
    plain = irn_losses(net, x, cfg, torch.Generator().manual_seed(0))
    assert "rate" not in plain
    rated = irn_losses(net, x, dataclasses.replace(cfg, lambda_rate=0.5), torch.Generator().manual_seed(0))
    assert float(rated["rate"].detach()) > 0
    torch.testing.assert_close(rated["loss"], plain["loss"] + 0.5 * rated["rate"])


def test_444_chroma_changes_what_the_inverse_sees() -> None:
    cfg = dataclasses.replace(CFG, lr_codec="jpeg", lr_quality_min=90, lr_quality_max=90)
    net = IRN(scale=2, blocks=1, growth=4)
    x = torch.rand(2, 3, 32, 32)
    losses = {
        c: irn_losses(net, x, dataclasses.replace(cfg, lr_chroma=c), torch.Generator().manual_seed(0))
        for c in ("420", "444")
    }
    torch.testing.assert_close(losses["420"]["forw"], losses["444"]["forw"])  # the same forward pass
    assert float(losses["444"]["back"].detach()) != float(losses["420"]["back"].detach())
    with pytest.raises(ValueError, match="lr_chroma"):
        dataclasses.replace(CFG, lr_codec="webp", lr_chroma="444")
    with pytest.raises(ValueError, match="lr_chroma"):
        dataclasses.replace(CFG, lr_chroma="422")


def test_an_unknown_lr_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown lr_codec"):
        dataclasses.replace(CFG, lr_codec="avif")


def test_an_empty_jpeg_quality_range_is_refused() -> None:
    with pytest.raises(ValueError, match="quality range"):
        dataclasses.replace(CFG, lr_quality_min=80, lr_quality_max=60)


def test_the_weight_average_is_validated_shipped_and_resumed(data_dir: Path, tmp_path: Path) -> None:
    """With ema_decay, weights.pt is the moving average (one step of it checked by hand), and an interrupted run
    resumes it exactly."""
    cfg = dataclasses.replace(CFG, ema_decay=0.75, checkpoint_seconds=0.0)
    one = dataclasses.replace(cfg, steps=1)
    train(dataclasses.replace(one, steps=0), data_dir, tmp_path / "start")
    train(one, data_dir, tmp_path / "one")
    w0 = _weights(tmp_path / "start")
    raw = torch.load(tmp_path / "one" / "last.pt", weights_only=True)["model"]
    avg = _weights(tmp_path / "one")
    assert not torch.equal(raw["ops.1.f.hidden.0.weight"], w0["ops.1.f.hidden.0.weight"])
    for k in w0:
        assert torch.allclose(avg[k], 0.75 * w0[k] + 0.25 * raw[k], atol=1e-7), k

    train(cfg, data_dir, tmp_path / "straight")
    _interrupt_at_step_three(cfg, data_dir, tmp_path / "split")
    train(cfg, data_dir, tmp_path / "split")
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert all(torch.equal(a[k], b[k]) for k in a)
    evals = _events(tmp_path / "straight")
    assert all(np.isfinite(e["val_psnr_raw"]) for e in evals if e["event"] == "eval")
    with pytest.raises(ValueError, match="ema_decay"):
        dataclasses.replace(CFG, ema_decay=1.0)


def test_a_constant_schedule_run_can_be_extended(data_dir: Path, tmp_path: Path) -> None:
    """Extended from 2 to 4 steps, a constant-lr run ends where a 4-step run does; a cosine run cannot be."""
    cfg = dataclasses.replace(CFG, schedule="constant")
    train(cfg, data_dir, tmp_path / "straight")
    train(dataclasses.replace(cfg, steps=2), data_dir, tmp_path / "extended")
    train(cfg, data_dir, tmp_path / "extended")
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "extended")
    assert all(torch.equal(a[k], b[k]) for k in a)
    train(dataclasses.replace(CFG, steps=2), data_dir, tmp_path / "cosine")
    with pytest.raises(ValueError, match="another config"):
        train(CFG, data_dir, tmp_path / "cosine")


def test_psnr_loss_weights_each_patch_by_its_own_error() -> None:
    """ "l1"/"l2" are the plain means; "psnr" has the value of "l2" and the gradient of the mean log-MSE over
    patches (scaled by the mean MSE), so a patch with a hundredth of the error gets the same total pull."""
    err = torch.randn(2, 3, 8, 8) * torch.tensor([0.1, 0.01]).view(2, 1, 1, 1)
    torch.testing.assert_close(reconstruction_loss(err, "l1"), err.abs().mean())
    torch.testing.assert_close(reconstruction_loss(err, "l2"), err.square().mean())
    e = err.clone().requires_grad_(True)
    loss = reconstruction_loss(e, "psnr")
    torch.testing.assert_close(loss, err.square().mean())
    loss.backward()
    mse = err.square().flatten(1).mean(1)
    want = 2 * err / err[0].numel() / mse.view(2, 1, 1, 1) * mse.mean() / 2
    torch.testing.assert_close(e.grad, want)
    share = e.grad.flatten(1).mul(err.flatten(1)).sum(1)  # each patch's d loss / d log-scale of its error
    torch.testing.assert_close(share[0], share[1])
    # a patch far below the 50 dB floor beside a coarse one: its weight is capped (uncapped its gradient is ~1)
    pair = torch.cat((torch.full((1, 3, 4, 4), 0.1), torch.full((1, 3, 4, 4), 1e-4))).requires_grad_(True)
    reconstruction_loss(pair, "psnr").backward()
    assert float(pair.grad[1].abs().max()) < 0.01
    with pytest.raises(ValueError, match="reconstruction loss"):
        reconstruction_loss(err, "l3")


def test_colour_augmentation_saturates_and_permutes_some_patches() -> None:
    from irncodec.train.data import PatchSampler, saturate

    rng = np.random.default_rng(0)
    grey = np.repeat(rng.integers(0, 256, (32, 32, 1), dtype=np.uint8), 3, axis=2)
    assert np.array_equal(saturate(grey, 3.0), grey)  # no chroma to amplify
    before = np.clip(grey.astype(int) + np.array([30, 0, -30]), 0, 255)
    tinted = before.astype(np.uint8)
    spread = saturate(tinted, 2.0).astype(int)
    assert np.abs(spread[..., 0] - spread[..., 2]).mean() > 1.5 * np.abs(before[..., 0] - before[..., 2]).mean()
    assert np.abs(saturate(tinted, 1.0).astype(int) - before).max() <= 1  # gain 1: only rounding

    image = np.zeros((16, 16, 3), dtype=np.uint8)
    image[..., 0] = 200  # a red photo: a permutation moves the red, the chroma gain keeps it saturated
    plain = PatchSampler([image], 8, 64, seed=1).sample()
    assert torch.all(plain[:, 0] > 0.7)
    mixed = PatchSampler([image], 8, 64, seed=1, colour=0.5).sample()
    changed = (mixed[:, 0, 0, 0] < 0.7).sum().item()
    assert 5 < changed < 59  # 4 of the 6 permutations move the red away from R: about 21 of the 32 augmented
    with pytest.raises(ValueError, match="colour"):
        PatchSampler([image], 8, 4, seed=1, colour=1.5)
    with pytest.raises(ValueError, match="colour_aug"):
        TrainConfig(colour_aug=-0.1)


def test_colour_sampler_resumes_exactly_and_colour_zero_draws_as_before() -> None:
    from irncodec.train.data import PatchSampler

    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (24, 20, 3), dtype=np.uint8) for _ in range(3)]
    old = np.random.default_rng(5)  # the draws of a sampler without the colour option, written out
    expected = []
    for _ in range(4):
        im = images[int(old.integers(3))]
        top, left, k = int(old.integers(24 - 8 + 1)), int(old.integers(20 - 8 + 1)), int(old.integers(8))
        crop = im[top : top + 8, left : left + 8]
        expected.append(np.rot90(crop[:, ::-1] if k & 4 else crop, k & 3))
    plain = PatchSampler(images, 8, 4, seed=5, colour=0.0).sample()
    assert torch.equal(plain, torch.from_numpy(np.stack(expected)).permute(0, 3, 1, 2).float() / 255.0)
    a = PatchSampler(images, 8, 4, seed=5, colour=0.7)
    a.sample()
    state = a.state()
    b = PatchSampler(images, 8, 4, seed=99, colour=0.7)
    b.set_state(state)
    assert torch.equal(a.sample(), b.sample())
