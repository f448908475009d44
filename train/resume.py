"""What a training run may start from: its run folder's last.pt (resumed exactly or refused, never half
loaded), an --init checkpoint (of the same student), and --arch-args (known names, right types). Each
refusal is one SharpcamError that says how to go on.
"""
from __future__ import annotations

import argparse
import inspect
import json
from pathlib import Path

import torch

from runtime.errors import SharpcamError
from train.checkpoint import load_checkpoint, student_from_checkpoint
from train.config import TrainConfig
from train.grow import CannotGrow, grow
from train.student import ARCHITECTURES, FastStudent

# FastStudent's defaults, so a checkpoint's arguments compare whole (inspect: the signature is the contract).
FAST_DEFAULTS = {name: p.default for name, p in inspect.signature(FastStudent.__init__).parameters.items()
                 if name != "self"}


# Settings that change how fast a run goes or how long, not what it computes per step: a run resumes under new
# values (more threads on a machine that freed up; more epochs for a run still improving).
RESUMABLE_CHANGES = ("threads", "epochs")


def config_changes(stored: TrainConfig, cfg: TrainConfig) -> list[str]:
    """The fields (other than RESUMABLE_CHANGES) in which a run folder's configuration differs from this run's."""
    old, new = stored.to_dict(), cfg.to_dict()
    return [key for key in sorted(set(old) | set(new)) if key not in RESUMABLE_CHANGES and old.get(key) != new.get(key)]


def resume(path: Path, cfg: TrainConfig, fresh: bool, model, opt, sched, gen) -> tuple[list[dict], int, float]:
    """(history, first epoch to run, best val SSIM) from last.pt, or a fresh start. A last.pt that cannot be
    resumed exactly (another student's weights, a foreign optimizer, an impossible epoch) is refused, never
    half-loaded; a symbolic link that leads nowhere is refused too, not taken for a fresh start."""
    if fresh or not (path.exists() or path.is_symlink()):
        return [], 0, -1.0
    cannot = f"it cannot be resumed: pass --fresh to start over{_best_fallback(path)}"
    try:
        ckpt = load_checkpoint(path)
    except SharpcamError as err:
        raise SharpcamError(f"{err}; {cannot}") from err
    stored = ckpt.get("config")
    try:
        differ = config_changes(TrainConfig.from_dict(stored), cfg) if stored is not None else ["none stored"]
    except (TypeError, ValueError, KeyError, AttributeError):
        differ = ["unreadable"]
    if differ:
        raise SharpcamError(f"{path} was written with a different configuration ({', '.join(differ)}); "
                            "pass --fresh to start over or choose another --run-dir")
    epoch, history, best = ckpt.get("epoch"), ckpt.get("history"), ckpt.get("best_val_ssim")
    if type(epoch) is not int or not 0 <= epoch <= cfg.epochs or not isinstance(history, list) \
            or len(history) != epoch or not all(isinstance(h, dict) for h in history) \
            or not isinstance(best, (int, float)) or isinstance(best, bool):
        raise SharpcamError(f"{path}: epoch {epoch!r} with {type(history).__name__} history and best SSIM "
                            f"{best!r} is not a training state (epoch 0 to {cfg.epochs}, one history row each); "
                            f"{cannot}")
    try:
        model.load_state_dict(ckpt["state_dict"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        gen.set_state(ckpt["generator"])
    except (KeyError, RuntimeError, ValueError, TypeError) as err:
        what = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SharpcamError(f"{path}: its weights, optimizer, scheduler or generator state do not fit this run "
                            f"({what}); {cannot}") from err
    print(f"resuming {path} after epoch {epoch}")
    return history, epoch, float(best)


def _best_fallback(path: Path) -> str:
    best = path.with_name("best.pt")
    return f", or resume from the best epoch: cp {best} {path}" if best.is_file() else ""


def load_init(cfg: TrainConfig, model: torch.nn.Module) -> str:
    """--init: the weights of a checkpoint of this very student (architecture and arguments), or of a smaller
    student of the family grown into this one, computing the same (train/grow.py); a recurrent student starts
    from a fast one that way too, not yet reading the previous frame (RecurrentStudent.adopt). Returns which."""
    student, ckpt = student_from_checkpoint(cfg.init)
    if ckpt["model"] == {"name": cfg.student, "args": cfg.student_args}:
        model.load_state_dict(student.state_dict())
        return "same student"
    problem = "another architecture"
    if ckpt["model"]["name"] == "fast" and cfg.student in ("fast", "recurrent"):
        try:
            return _grow_into(student, model, cfg, ckpt["model"]["args"])
        except CannotGrow as err:  # grow() owns the check (train/grow.py); the refusal below says what to do
            problem = err.problem
    raise SharpcamError(f"--init {cfg.init} holds a {ckpt['model']['name']} student {ckpt['model']['args']}; "
                        f"this run trains {cfg.student} {cfg.student_args} and cannot start from it ({problem}): "
                        "pass the same --arch/--arch-args, a smaller student of the family, or another checkpoint")


def _grow_into(fast: FastStudent, model: torch.nn.Module, cfg: TrainConfig, fast_args: dict) -> str:
    """A fast student's weights grown into this run's fast student, or into the fast student of this recurrent
    one's shape and adopted (the previous frame unread); raises CannotGrow. Returns how it started."""
    if cfg.student == "fast":
        grow(fast, model)
        return f"grown from {fast_args}"
    shape = {k: v for k, v in cfg.student_args.items() if k in FAST_DEFAULTS}  # not the recurrent `gate`
    model.adopt(grow(fast, FastStudent(**shape)))  # the same shape too: grow() checks it (a rep=True one cannot)
    same_shape = {**FAST_DEFAULTS, **fast_args} == {**FAST_DEFAULTS, **shape}
    return f"the fast student {fast_args}{'' if same_shape else ' grown'}, previous frame unread"


def json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not JSON ({err}): {text!r}") from err
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f'expected a JSON object such as \'{{"channels": 48}}\', not {text!r}')
    return value


def checked_arch_args(name: str, args: dict) -> dict:
    """The architecture's arguments, each a known one of the type of its default (ints at least 1), so a typo
    is refused here instead of in a constructor's traceback (or, for "residual": "no", silently taken as yes)."""
    params = inspect.signature(ARCHITECTURES[name].__init__).parameters
    for key, value in args.items():
        if key not in params or key == "self":
            known = ", ".join(p for p in params if p != "self")
            raise SharpcamError(f"--arch-args: {name} has no argument {key!r}; it takes {known}")
        default = params[key].default
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = type(value) is int and value >= 1
        else:
            ok = isinstance(value, type(default))
        if not ok:
            kind = "true or false" if isinstance(default, bool) else \
                "a whole number of at least 1" if isinstance(default, int) else type(default).__name__
            raise SharpcamError(f"--arch-args: {name}'s {key!r} must be {kind}, not {json.dumps(value)}")
    return args
