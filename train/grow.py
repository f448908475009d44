"""Growing a trained student into a larger one of the family without changing what it computes.

A CPU cannot afford to train M (3.7x S) and L (21x) from scratch in an afternoon, but it can start them
from the trained S: every convolution of the larger FastStudent gets S's weights in its first channels,
the residual stream's new channels are written with zero weights (so they stay exactly zero) and read with
random ones at a tenth of the default scale (they read zeros: nothing changes until the channels come
alive); inside a block the new hidden channels are written at random and read with zeros; new residual
blocks get a zero second convolution (x + 0: the identity). The grown student computes S's output
to float rounding, and training moves it from there: within two steps every new weight has had a gradient. Net2Net (Chen et al. 2016) grows by
duplicating units instead; zero-out/random-in keeps the function exactly with a plain optimizer.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from runtime.errors import SharpcamError
from train.student import FastStudent

NEW_INPUT_SCALE = 0.1  # new channels' readers start small: the function moves gently once they come alive


class CannotGrow(SharpcamError):
    """grow() refused: `problem` is can_grow's reason, for a caller that words the refusal its own way."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"cannot grow the student into the larger one: {problem}")
        self.problem = problem


def can_grow(small: dict, big: dict) -> str | None:
    """None when a FastStudent with args `small` grows into one with `big`; else why not."""
    for key in ("scale", "luma"):
        if small.get(key) != big.get(key):
            return f"{key} differs ({small.get(key)} vs {big.get(key)})"
    if big.get("rep"):
        return "the larger student trains re-parameterized branches (grow into rep=False)"
    if small["channels"] > big["channels"] or small["blocks"] > big["blocks"]:
        return f"{small['channels']} channels x {small['blocks']} blocks does not fit in {big['channels']} x {big['blocks']}"
    return None


@torch.no_grad()
def _embed(target: nn.Conv2d, source: nn.Conv2d | None, new_outputs: str, new_inputs: str) -> None:
    """Source's weights in target's first channels; new outputs and inputs "zero" or "random" (the default
    initialisation at NEW_INPUT_SCALE)."""
    target.weight.mul_(NEW_INPUT_SCALE)
    if source is None:
        return
    out_c, in_c = source.weight.shape[:2]
    target.weight[:out_c, :in_c] = source.weight
    target.bias[:out_c] = source.bias
    if new_inputs == "zero":
        target.weight[:, in_c:] = 0.0
    if new_outputs == "zero":
        target.weight[out_c:] = 0.0
        target.bias[out_c:] = 0.0


def grow(small: FastStudent, big: FastStudent) -> FastStudent:
    """`big`'s weights replaced so that it computes what `small` does (module docstring); returns `big`."""
    small_args = {"channels": small.head.out_channels, "blocks": len(small.body), "scale": small.scale,
                  "luma": small.luma, "rep": False}
    big_args = {"channels": big.head.out_channels, "blocks": len(big.body), "scale": big.scale, "luma": big.luma,
                "rep": any(hasattr(b.conv1, "conv3") for b in big.body)}
    problem = can_grow(small_args, big_args)  # the one place the rule is checked; callers rely on it
    if problem:
        raise CannotGrow(problem)
    small = copy.deepcopy(small).fuse()  # its training branches folded: plain convolutions to copy
    # The residual stream's new channels stay zero: what writes them starts at zero, what reads them is random.
    # Inside a block the hidden channels are the other way round: conv1 writes them at random (a zero there
    # would sit at ReLU's kink, where no gradient passes) and conv2 reads them with zero weights.
    _embed(big.head, small.head, new_outputs="zero", new_inputs="random")
    _embed(big.tail, small.tail, new_outputs="random", new_inputs="random")
    for index, block in enumerate(big.body):
        old = small.body[index] if index < len(small.body) else None
        _embed(block.conv1, old.conv1 if old is not None else None, new_outputs="random", new_inputs="random")
        if old is not None:
            _embed(block.conv2, old.conv2, new_outputs="zero", new_inputs="zero")
        else:  # a new block: x + conv2(...) with conv2 zero is the identity
            with torch.no_grad():
                block.conv2.weight.zero_()
                block.conv2.bias.zero_()
    return big
