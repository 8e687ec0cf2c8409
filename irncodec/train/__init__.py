"""Training of the rescaling networks."""

from irncodec.train.loop import RECIPES, TrainConfig, evaluate_psnr, irn_losses, train

__all__ = ["RECIPES", "TrainConfig", "evaluate_psnr", "irn_losses", "train"]
