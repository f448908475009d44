"""`sharpcam`: one command for what users run; each subcommand is the module's own main().

    sharpcam cam --source builtin --sink out.mp4     # = python -m runtime.cam ...
    sharpcam sharpen photos/ -o sharpened/           # = python -m runtime.sharpen ...
    sharpcam devices                                 # cameras and virtual-camera outputs
    sharpcam export --checkpoint best.pt --name mine # ONNX graphs (+ TensorRT engines) into the user cache
    sharpcam cam --help                              # every subcommand explains its flags, defaults shown

The `python -m ...` forms keep working; this command only dispatches. Being a console script, it does not put
the working folder on sys.path, so a user's own train.py or export.py cannot shadow sharpcam's packages.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass

from runtime.entry import exit_on_user_error
from runtime.errors import SharpcamError

# Modules of the [train] extra: a subcommand that needs one of them says how to get it, in one line.
TRAIN_MODULES = {"torch", "scipy", "skimage", "PIL", "matplotlib", "onnx", "onnxruntime_extensions"}
TRAIN_INSTALL = ("pip install 'sharpcam[train]' (install a CPU build of torch first to avoid a multi-GB CUDA "
                 "download: pip install torch --index-url https://download.pytorch.org/whl/cpu)")


@dataclass(frozen=True)
class Command:
    module: str  # has main(argv)
    help: str
    extra: str | None = None  # the install extra it needs beyond the base runtime


COMMANDS = {
    "cam": Command("runtime.cam", "camera / video / images -> model -> virtual camera, window or file"),
    "sharpen": Command("runtime.sharpen", "sharpen image files and folders"),
    "devices": Command("runtime.devices", "list cameras and virtual-camera outputs"),
    "app": Command("runtime.app.cli", "a local page: live before/after over WebRTC, strength, stats", "app"),
    "bench": Command("benchmarks.fps", "speed, latency and quality report (writes under --out)", "train"),
    "export": Command("export.__main__", "student checkpoint -> ONNX graphs -> TensorRT engines", "train"),
    "train": Command("train.distill_cli", "distil a student from the RRDB teacher", "train"),
    "mos": Command("benchmarks.mos.__main__", "subjective study: prepare, serve the rating page, report", "train"),
}


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as installed
    try:
        return installed("sharpcam")
    except PackageNotFoundError:
        return "unknown (running from a checkout that is not pip-installed)"


def missing_extra(err: ModuleNotFoundError, command: str) -> SharpcamError | None:
    """A one-line error for a module of an extra that is not installed; None for anything else."""
    root = (err.name or "").split(".")[0]
    if root in TRAIN_MODULES:
        return SharpcamError(f"'sharpcam {command}' needs {root}, part of the training tools: {TRAIN_INSTALL}")
    return None


def parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<9}{cmd.help}" + (f"  [needs sharpcam[{cmd.extra}]]" if cmd.extra else "")
                      for name, cmd in COMMANDS.items())
    p = argparse.ArgumentParser(prog="sharpcam", description=__doc__, epilog=f"commands:\n{lines}",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"sharpcam {version()}")
    p.add_argument("command", choices=COMMANDS, metavar="COMMAND", help="one of: " + ", ".join(COMMANDS))
    p.add_argument("args", nargs=argparse.REMAINDER, help="the command's own arguments (sharpcam COMMAND --help)")
    return p


def run(command: str, argv: list[str]) -> object:
    spec = COMMANDS[command]
    if command == "export" and not any(a == "--out" or a.startswith("--out=") for a in argv):
        from runtime.artifacts import output_folder
        argv = argv + ["--out", str(output_folder())]  # built engines go where runtime.artifacts finds them
    sys.argv[0] = f"sharpcam {command}"  # argparse's prog in the command's usage lines
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as err:
        friendly = missing_extra(err, command)
        if friendly is None:
            raise
        if {"-h", "--help"} & set(argv):  # help works everywhere; only running needs the extra
            from runtime.help_without_extras import print_help
            print_help(spec.module, TRAIN_MODULES, f"running 'sharpcam {command}' needs the training tools: "
                                                    "pip install 'sharpcam[train]'")
        raise friendly from err
    return module.main(argv)


def main(argv: list[str] | None = None) -> None:
    if not (sys.argv[1:] if argv is None else argv):
        parser().print_help()  # bare `sharpcam`: the command list, not a usage error
        return
    args = parser().parse_args(argv)
    result = exit_on_user_error(lambda: run(args.command, args.args))
    if isinstance(result, int) and not isinstance(result, bool):
        sys.exit(result)  # export returns its exit status


if __name__ == "__main__":
    main()
