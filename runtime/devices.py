"""`sharpcam devices`: the cameras to read from and the virtual-camera outputs to write to.

    sharpcam devices              # then: sharpcam cam --source 0 --vcam-device /dev/video10

On Linux both come from /sys/class/video4linux: a node under /sys/devices/virtual is a v4l2loopback output,
the others are cameras (only a camera's capture node, index 0, is listed: USB cameras add a metadata node),
and each camera's sizes are asked of the driver (VIDIOC_ENUM_FRAMESIZES). Elsewhere OpenCV probes indices
0-4 (it cannot tell names) and the outputs are pyvirtualcam's backends.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

SYSFS = Path("/sys/class/video4linux")
OBS_NOTE = ("OBS's virtual camera takes one producer at a time: stop OBS's own 'Start Virtual Camera' (or another "
            "sharpcam) before 'sharpcam cam --sink vcam', and start sharpcam before the video-call app opens it")
# struct v4l2_frmsizeenum: index, pixel_format, type, then 6 u32 of the union and 2 reserved.
_FRMSIZE = struct.Struct("=3I6I2I")
VIDIOC_ENUM_FRAMESIZES = (3 << 30) | (_FRMSIZE.size << 16) | (ord("V") << 8) | 74
DISCRETE = 1
FOURCCS = ("MJPG", "YUYV")  # what USB cameras offer; sizes are the union of both


@dataclass
class VideoDevice:
    """A camera to read from or a virtual-camera output to write to."""
    path: str  # what --source / --vcam-device take
    name: str
    sizes: list[tuple[int, int]] = field(default_factory=list)


def _fourcc(code: str) -> int:
    return int.from_bytes(code.encode(), "little")


def v4l2_sizes(node: Path) -> list[tuple[int, int]]:
    """Discrete frame sizes the driver offers in MJPG or YUYV; empty when it cannot be asked."""
    try:
        import fcntl
        fd = os.open(node, os.O_RDWR | os.O_NONBLOCK)
    except (ImportError, OSError):
        return []
    sizes: set[tuple[int, int]] = set()
    try:
        for code in FOURCCS:
            for index in range(64):
                buf = bytearray(_FRMSIZE.pack(index, _fourcc(code), 0, *([0] * 8)))
                try:
                    fcntl.ioctl(fd, VIDIOC_ENUM_FRAMESIZES, buf)
                except OSError:
                    break  # EINVAL: no more sizes (or not this format)
                fields = _FRMSIZE.unpack(buf)
                if fields[2] == DISCRETE:
                    sizes.add((fields[3], fields[4]))
    finally:
        os.close(fd)
    return sorted(sizes)


def linux_devices(sysfs: Path = SYSFS, dev: Path = Path("/dev"),
                  probe_sizes: bool = True) -> tuple[list[VideoDevice], list[VideoDevice]]:
    """(cameras, v4l2loopback outputs) from sysfs."""
    cameras, outputs = [], []
    nodes = sorted(sysfs.glob("video*"), key=lambda p: int(p.name[5:]) if p.name[5:].isdigit() else 0)
    for node in nodes:
        name = _read(node / "name") or node.name
        path = dev / node.name
        if "/devices/virtual/" in os.path.realpath(node):
            outputs.append(VideoDevice(str(path), name))
        elif _read(node / "index") in ("", "0"):  # index 1+: a camera's metadata node
            cameras.append(VideoDevice(str(path), name, v4l2_sizes(path) if probe_sizes else []))
    return cameras, outputs


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def opencv_cameras(indices: range = range(5)) -> list[VideoDevice]:
    """Indices OpenCV can open, with the size each starts at (OpenCV cannot list names or modes)."""
    from runtime.imaging import opencv
    cv2, found = opencv(), []
    for index in indices:
        cap = cv2.VideoCapture(index)
        try:
            if cap.isOpened():
                size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
                found.append(VideoDevice(str(index), f"camera {index}", [size]))
        finally:
            cap.release()
    return found


def vcam_backends() -> list[VideoDevice]:
    """pyvirtualcam's outputs on Windows/macOS, chosen with --vcam-device NAME."""
    if sys.platform == "win32":
        return [VideoDevice("OBS Virtual Camera", "OBS (install OBS Studio 26+)"),
                VideoDevice("Unity Video Capture", "Unity Capture (install it, then choose it by this name)")]
    return [VideoDevice("OBS Virtual Camera", "OBS (install OBS Studio 30+, start its virtual camera once)")]


def default_camera(sysfs: Path = SYSFS, dev: Path = Path("/dev")) -> str | None:
    """The camera `sharpcam cam` reads without --source: the first real camera, never a v4l2loopback output
    (which would feed sharpcam its own output, or another app's); None when there is none."""
    if sys.platform.startswith("linux") and sysfs.is_dir():
        cameras, _ = linux_devices(sysfs, dev, probe_sizes=False)
        return cameras[0].path if cameras else None
    if sys.platform.startswith("linux"):  # no sysfs (a container): the usual first camera node, if any
        return "0" if (dev / "video0").exists() else None
    found = opencv_cameras(range(1))
    return found[0].path if found else None


def report(cameras: list[VideoDevice], outputs: list[VideoDevice], linux: bool) -> str:
    lines = ["cameras (--source):"]
    lines += [f"  {c.path:<14} {c.name}" + (f"  sizes: {' '.join(f'{w}x{h}' for w, h in c.sizes)}" if c.sizes
                                             else "") for c in cameras] or ["  none found"]
    lines.append("virtual-camera outputs (--sink vcam --vcam-device):")
    if outputs:
        lines += [f"  {o.path:<14} {o.name}" for o in outputs]
    elif linux:
        from runtime.sinks.vcam import vcam_install_help
        lines.append(f"  none: {vcam_install_help()}")
    lines.append(f"note: {OBS_NOTE}" if not linux else
                 "note: with exclusive_caps=1 (needed by Chrome) a v4l2loopback device serves one app at a time; "
                 "a slow producer freezes its viewers")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="sharpcam devices", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--no-sizes", action="store_true", help="skip asking each camera for its sizes")
    args = p.parse_args(argv)
    print(report(*find_devices(probe_sizes=not args.no_sizes), sys.platform.startswith("linux")))


def find_devices(probe_sizes: bool = True) -> tuple[list[VideoDevice], list[VideoDevice]]:
    """(cameras, virtual-camera outputs) as `sharpcam devices` lists them (the app's source picker too)."""
    if sys.platform.startswith("linux"):
        return linux_devices(probe_sizes=probe_sizes)
    return opencv_cameras(), vcam_backends()


if __name__ == "__main__":
    main()
