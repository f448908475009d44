"""The stability suite's scenes: clean clips made from one photo, and what is measured on a clip.

Still views, a pan and a zoom of a window over the photo (their known motion gives the warping error), a still
view that starts to pan, and local motion: a soft oval of the photo turned upside down (a head's size) moving
1.5 px right and 0.5 px down a frame over the still photo, a talking head over a room, where a temporal filter
must not leave the head's trail on the room it uncovers (the error where the clean clip changed tells).
"""
from __future__ import annotations

import cv2
import numpy as np

from train.clips import moving_oval
from train.metrics import ssim

FRAMES, SETTLE = 24, 4
STILL_SIZE, MOVING_SIZE = (640, 480), (512, 384)
PAN_STEP, ZOOM_STEP = 3, 0.006
RECOVERED = 0.005  # SSIM below a fresh start's that still counts as recovered from a cut


def cover(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to cover (width, height) and centre-crop: every photo becomes a full frame."""
    w, h = size
    s = max(w / img.shape[1], h / img.shape[0])
    big = cv2.resize(img, (max(w, round(img.shape[1] * s)), max(h, round(img.shape[0] * s))),
                     interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    y, x = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return np.ascontiguousarray(big[y:y + h, x:x + w])


def motion_matrices(kind: str, n: int, full: tuple[int, int], size: tuple[int, int]) -> list[np.ndarray]:
    """2x3 affine maps from the full photo to each frame: a pan left to right, or a zoom into the centre."""
    (fw, fh), (w, h) = full, size
    mats = []
    for t in range(n):
        if kind == "pan":
            x0, y0 = PAN_STEP * t, (fh - h) // 2
            mats.append(np.array([[1, 0, -x0], [0, 1, -y0]], np.float64))
        else:
            s = (w / fw) * (1 + ZOOM_STEP * t) * 1.05  # start slightly inside the photo
            mats.append(np.array([[s, 0, w / 2 - s * fw / 2], [0, s, h / 2 - s * fh / 2]], np.float64))
    return mats


def moving_clip(photo: np.ndarray, kind: str, frames: int = FRAMES) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A pan or zoom ("pan", "zoom"), or "still-pan": the pan's first view for half the frames, then the pan."""
    if kind == "still-pan":
        mats = motion_matrices("pan", frames - frames // 2, (photo.shape[1], photo.shape[0]), MOVING_SIZE)
        mats = [mats[0]] * (frames // 2) + mats
    else:
        mats = motion_matrices(kind, frames, (photo.shape[1], photo.shape[0]), MOVING_SIZE)
    frames = [cv2.warpAffine(photo, m, MOVING_SIZE, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
              for m in mats]
    return frames, mats


def warp_error(clip: list[np.ndarray], mats: list[np.ndarray]) -> float:
    """Mean |O_t - W(O_{t-1})| in 8-bit levels over pixels that stay in view, W the known frame-to-frame motion."""
    errs = []
    h, w = clip[0].shape[:2]
    for t in range(1, len(clip)):
        a = np.vstack([mats[t - 1], [0, 0, 1]])
        b = np.vstack([mats[t], [0, 0, 1]])
        step = (b @ np.linalg.inv(a))[:2]  # frame t-1 coordinates -> frame t coordinates
        prev = cv2.warpAffine(clip[t - 1].astype(np.float32), step, (w, h), flags=cv2.INTER_LINEAR)
        valid = cv2.warpAffine(np.ones((h, w), np.float32), step, (w, h), flags=cv2.INTER_NEAREST) > 0.5
        valid = cv2.erode(valid.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        errs.append(float(np.abs(clip[t].astype(np.float32) - prev)[valid].mean()))
    return float(np.mean(errs))


def recovery_frames(after_cut: list[np.ndarray], fresh: list[np.ndarray], clean: list[np.ndarray]) -> int:
    """Frames after a cut until the output is as good as a stream started at the cut (len: never)."""
    for k, (out, start, target) in enumerate(zip(after_cut, fresh, clean)):
        if ssim(out, target) >= ssim(start, target) - RECOVERED:
            return k
    return len(after_cut)


def temporal_std(clip: list[np.ndarray]) -> float:
    return float(np.stack(clip[SETTLE:]).astype(np.float32).std(axis=0).mean())


LOCAL_STEP = (1.5, 0.5)  # the head's motion, px per frame: slow, where a filter is likeliest to hold it
CHANGED = 8  # levels: where the clean clip changed by more, something moved


def local_clip(photo: np.ndarray, frames: int = FRAMES) -> list[np.ndarray]:
    """A still MOVING_SIZE view of `photo` with a soft oval of it, upside down, moving LOCAL_STEP a frame
    (train.clips.moving_oval, the training clips' talking head, at fixed size, start and speed)."""
    w, h = MOVING_SIZE
    room = cover(photo, MOVING_SIZE).astype(np.float32)
    head = cover(cv2.flip(photo, -1), MOVING_SIZE).astype(np.float32)
    return moving_oval([room] * frames, head, (int(0.18 * w), int(0.3 * h)), (-0.2 * w, 0.0), LOCAL_STEP)


def moved_error(clip: list[np.ndarray], clean: list[np.ndarray]) -> float:
    """Mean |output - clean| (levels) over the pixels whose clean value changed by more than CHANGED since the
    last frame, over frames SETTLE on: trails and lag show there, a still background does not dilute them."""
    errors = []
    for t in range(max(1, SETTLE), len(clean)):
        changed = np.abs(clean[t].astype(np.int16) - clean[t - 1].astype(np.int16)).max(axis=2) > CHANGED
        if changed.any():
            errors.append(np.abs(clip[t].astype(np.float32) - clean[t]).mean(axis=2)[changed].mean())
    return float(np.mean(errors)) if errors else 0.0
