"""A chain of invertible ops, walked forwards or backwards."""

from __future__ import annotations

from collections.abc import Iterable

from torch import Tensor, nn

__all__ = ["InvertibleSequential"]


class InvertibleSequential(nn.Module):
    """Composition of invertible ops sharing the ``forward(x, rev=False)`` contract.

    Used by IRN (Xiao et al., ECCV 2020, Fig. 2) and meant for its relatives
    built from the same parts (InvDN). The forward pass applies the ops in
    order; the reverse pass applies their inverses in the opposite order, so
    the whole chain is invertible whenever each op is.
    """

    def __init__(self, ops: Iterable[nn.Module]) -> None:
        super().__init__()
        self.ops = nn.ModuleList(ops)

    def forward(self, x: Tensor, rev: bool = False) -> Tensor:
        """Run the chain forwards (``rev=False``) or its exact inverse (``rev=True``)."""
        ops = reversed(self.ops) if rev else self.ops
        for op in ops:
            x = op(x, rev=rev)
        return x
