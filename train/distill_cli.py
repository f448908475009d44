"""`python -m train.distill`'s command line: the flags, merged over the chosen preset into one TrainConfig.

The command stays `python -m train.distill` (train/distill.py hands its __main__ to main() here), so its
help is train/distill.py's docstring; this module only turns arguments into a checked configuration.
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import train.distill as distill
from runtime.entry import (check_writable_dir, check_writable_file, exit_on_user_error, int_at_least, int_between,
                           non_empty, non_negative_float, positive_float, positive_int, threads, unit_float)
from runtime.errors import SharpcamError
from train.blur import BlurConfig
from train.config import PRESETS, TrainConfig, preset
from train.resume import checked_arch_args, json_object
from train.student import ARCHITECTURES

MAX_BATCH = 4096  # patches a step: the presets take 4-16; far past this one step's sampling runs for minutes


def parse_args(argv: list[str] | None) -> tuple[TrainConfig, argparse.Namespace]:
    # the command is `python -m train.distill`: its docstring is the help
    parser = argparse.ArgumentParser(description=distill.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="default", choices=PRESETS,
                        help="default: the seed student; fast: the CPU real-time student (clean blur); webcam: the "
                             "default student, trained on the camera degradation (noise, codecs); temporal: the "
                             "recurrent student on clips (learned temporal stability); smoke: a test run")
    # --arch, not --student: everywhere else --student names a shipped, trained student (webcam, fast, seed)
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), help="student architecture (overrides the preset)")
    parser.add_argument("--arch-args", type=json_object, metavar="JSON",
                        help='architecture arguments merged into the preset\'s, e.g. \'{"channels": 48}\'')
    parser.add_argument("--lr", type=positive_float, help="Adam learning rate (above 0)")
    parser.add_argument("--batch", type=int_between(1, MAX_BATCH),
                        help=f"patches per step (per worker under torchrun), 1 to {MAX_BATCH}")
    parser.add_argument("--crop", type=positive_int, help="training crop side, at most the bank's patch side")
    parser.add_argument("--variants", type=positive_int,
                        help="degraded variants per training image in the patch bank (each costs a teacher run "
                             "unless --alpha 1)")
    parser.add_argument("--ssim-weight", type=non_negative_float,
                        help="add this times (1 - SSIM to the sharp image) to the loss")
    parser.add_argument("--patience", type=int_at_least(0), help="epochs without validation gain before the LR halves")
    parser.add_argument("--corpus", type=non_empty("--corpus"), help="corpus folder with manifest.json (default data/corpus)")
    parser.add_argument("--run-dir", type=non_empty("--run-dir"), help="where checkpoints, metrics and curves go")
    parser.add_argument("--alpha", type=unit_float,
                        help="weight of L1 to the sharp image, 0..1; 1 trains without the teacher")
    parser.add_argument("--no-residual", action="store_true", help="the seed exactly: no global skip")
    parser.add_argument("--epochs", type=positive_int)
    parser.add_argument("--steps-per-epoch", type=positive_int)
    parser.add_argument("--teacher", help="teacher weights: BSRGAN.pth, RealESRGAN_x4plus.pth or ncnn .param")
    parser.add_argument("--threads", type=threads, help="torch CPU threads, 0 to 4 per core (0: torch's default)")
    parser.add_argument("--video-mix", action="store_true",
                        help="add video-call degradations (down-up scaling, noise, JPEG; each p=0.3) to the blur")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing last.pt and start over")
    parser.add_argument("--init", help="start from this checkpoint's weights: the same student (fine-tuning), or a "
                                       "smaller one of the family grown into this one, computing the same")
    parser.add_argument("--benchmark-share", type=unit_float,
                        help="the camera degradation (--preset webcam): the share of training samples given the "
                             "benchmark blur instead")
    parser.add_argument("--lowlight-share", type=unit_float,
                        help="the camera degradation: the share of camera samples shot in low light (a fraction "
                             "of the light, gained back; 0.35 by default)")
    parser.add_argument("--clip-frames", type=int_between(2, 32),
                        help="frames per training clip (--preset temporal; 5 by default): longer clips let the "
                             "fed-back state settle, at that many forward passes per clip")
    parser.add_argument("--temporal-weight", type=non_negative_float,
                        help="weight of the temporal term |dOut - dClean| (--preset temporal; 1 by default)")
    parser.add_argument("--text-clips", type=int_between(1, 256),
                        help="clips per text photo (documents, slides, code; --preset temporal; the other photos "
                             "keep 8): more of what shimmers most")
    parser.add_argument("--ship", type=Path, help="copy the best checkpoint (without optimizer state) here")
    args = parser.parse_args(argv)
    cfg = preset(args.preset)
    if args.arch is not None and args.arch != cfg.student:
        cfg.student, cfg.student_args = args.arch, {}
    if args.arch_args:
        cfg.student_args = {**cfg.student_args, **args.arch_args}
    for name in ("corpus", "run_dir", "alpha", "epochs", "steps_per_epoch", "teacher", "threads", "lr", "batch", "crop",
                 "ssim_weight", "init"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    cfg.student_args = checked_arch_args(cfg.student, cfg.student_args)
    if args.clip_frames is not None or args.temporal_weight is not None or args.text_clips is not None:
        if cfg.clips is None:
            raise SharpcamError("--clip-frames, --temporal-weight and --text-clips apply to clip training "
                                "(--preset temporal)")
        if args.text_clips is not None:
            cfg.clips = replace(cfg.clips, text_per_image=args.text_clips)
        if args.clip_frames is not None:
            cfg.clips = replace(cfg.clips, frames=args.clip_frames)
        if args.temporal_weight is not None:
            cfg.temporal_weight = args.temporal_weight
    if cfg.clips is None and cfg.crop > cfg.bank.patch:
        raise SharpcamError(f"--crop {cfg.crop} is larger than the bank's {cfg.bank.patch} px patches")
    distill.check_clip_training(cfg)
    if args.variants is not None:
        cfg.bank = replace(cfg.bank, variants=args.variants)
    if args.patience is not None:
        cfg.plateau_patience = args.patience
    if args.benchmark_share is not None:
        if cfg.degrade.kind != "camera" or not 0 <= args.benchmark_share <= 1:
            raise SharpcamError("--benchmark-share takes 0..1 and applies to the camera degradation (--preset webcam)")
        cfg.degrade = replace(cfg.degrade, benchmark_prob=args.benchmark_share)
    if args.lowlight_share is not None:
        if cfg.degrade.kind != "camera":
            raise SharpcamError("--lowlight-share applies to the camera degradation (--preset webcam, medium, large)")
        cfg.degrade = replace(cfg.degrade, lowlight_prob=args.lowlight_share)
    if args.video_mix:
        cfg.degrade = BlurConfig(rescale_prob=0.3, noise_prob=0.3, jpeg_prob=0.3)
    if args.no_residual:
        if cfg.student != "seed":
            raise SharpcamError("--no-residual applies to the seed student only")
        cfg.student_args = {**cfg.student_args, "residual": False}
    return cfg, args


def main(argv: list[str] | None = None) -> None:
    def run() -> None:
        cfg, args = parse_args(argv)
        check_writable_dir(Path(cfg.run_dir), "--run-dir")
        if args.ship is not None:
            check_writable_file(args.ship, "--ship")
        distill.train(cfg, fresh=args.fresh, ship_to=args.ship)
    exit_on_user_error(run)


if __name__ == "__main__":
    main()
