"""python -m benchmarks.mos {prepare,serve,report}: the report's subjective study (section 6) as a tool.

  prepare  build a study directory from a folder of sharp pictures: degrade them as the benchmark does,
           run the model(s), write the versions and study.json
  serve    the blind A/B rating page on http://127.0.0.1:PORT/ (this machine only); answers are saved,
           fsync'd, to STUDY/answers.jsonl as they are given, and a rater who comes back resumes
  report   MOS per criterion and per category with 95% CIs, preference rates with sign tests:
           STUDY/report.md, report.json, report.png

Typical run:
  python -m benchmarks.mos prepare data/corpus --out runs/mos --model mine=path/to/model.onnx --unsharp
  python -m benchmarks.mos serve runs/mos        # each rater opens the page and enters their id (r01, r02, ...)
  python -m benchmarks.mos report runs/mos
"""
from __future__ import annotations

import argparse
from pathlib import Path

from runtime.entry import check_writable_dir, exit_on_user_error, int_at_least, int_between, path_arg, port


def _prepare_args(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="build a study from a folder of sharp pictures",
                       description="Degrade each picture as the benchmark does (train/blur.py), run the "
                                   "model(s) on it, and write STUDY/images/<version>/<id>.png and STUDY/study.json. "
                                   "Categories come from SOURCE/manifest.json (a corpus) or subfolder names.")
    p.add_argument("source", type=Path, help="folder of sharp pictures, or a corpus folder with manifest.json")
    p.add_argument("--out", type=path_arg("--out"), required=True, help="the study directory to write")
    p.add_argument("--model", action="append", default=[], metavar="LABEL=PATH",
                   help="an ONNX model to rate, repeatable (default: the runtime's default model, the "
                        "shipped student, labelled 'student')")
    p.add_argument("--no-model", action="store_true", help="no model: rate only the built-in versions")
    p.add_argument("--unsharp", action="store_true", help="add the unsharp-mask baseline as a version")
    p.add_argument("--original", action="store_true", help="add the sharp original as a (hidden) reference")
    p.add_argument("--compare", choices=("all", "blurred"), default="all",
                   help="which versions share a screen: every pair (all), or each version against blurred")
    p.add_argument("--split", default="test", help="with a manifest: the split to take, or 'all' (default: test)")
    p.add_argument("--limit", type=int_at_least(0), default=0, help="at most N pictures, a seeded sample (default: all)")
    p.add_argument("--max-side", type=int_at_least(0), default=640,
                   help="shrink larger pictures to this side first (0: never; default: %(default)s)")
    p.add_argument("--raters", type=int_between(1, 999), default=25, help="planned raters, ids r01..rNN (default: 25)")
    p.add_argument("--seed", type=int, default=0, help="seed of the per-rater order and sides")
    p.add_argument("--name", default="", help="the study's title (default: the folder name)")
    p.add_argument("--force", action="store_true", help="overwrite a study that has no answers yet")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sharpcam mos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{prepare,serve,report}")
    _prepare_args(sub)
    s = sub.add_parser("serve", help="serve the rating page on 127.0.0.1",
                       description="Serve the blind A/B rating page on http://127.0.0.1:PORT/ only. Raters enter "
                                   "their id; keys 1-5, arrows, A/B/N and Enter. Every answer is appended to "
                                   "STUDY/answers.jsonl and fsync'd before the next pair shows.")
    s.add_argument("study", type=Path, help="study directory (or its study.json)")
    s.add_argument("--port", type=port, default=8765,
                   help="port on 127.0.0.1, 1..65535 (default: 8765; 0: any free port)")
    s.add_argument("--open", action="store_true", help="open the page in this machine's web browser")
    s.add_argument("--verbose", action="store_true", help="log every request")
    r = sub.add_parser("report", help="MOS tables and chart from the answers",
                       description="MOS per criterion and per category with 95%% CIs (t-interval over per-rater "
                                   "means), preference rates with exact sign tests. For each (rater, pair) the "
                                   "last answer counts.")
    r.add_argument("study", type=Path, help="study directory (or its study.json)")
    r.add_argument("--out", type=path_arg("--out"), help="output prefix (default: STUDY/report -> report.md/.json/.png)")
    return parser


def _prepare(args: argparse.Namespace) -> None:
    from benchmarks.mos.prepare import PrepareConfig, parse_model, prepare

    models = [parse_model(m) for m in args.model]  # a malformed --model is refused before --out is created
    check_writable_dir(args.out, "--out")
    cfg = PrepareConfig(args.source, args.out, unsharp=args.unsharp, original=args.original, compare=args.compare,
                        split=args.split, limit=args.limit, max_side=args.max_side, raters=args.raters,
                        seed=args.seed, name=args.name, force=args.force)
    if args.no_model or args.model:
        cfg.models = models
    path = prepare(cfg)
    print(f"wrote {path}; next: sharpcam mos serve {args.out}")


def _serve(args: argparse.Namespace) -> None:
    from benchmarks.mos.server import ServeConfig, make_server

    server = make_server(ServeConfig(args.study, args.port, args.verbose))
    s = server.study
    print(f"study '{s.name}': {len(s.pairs)} pairs per rater, raters {s.raters[0]}..{s.raters[-1]}, "
          f"answers -> {s.answers_path}")
    print(f"open {server.url} (Ctrl-C stops; every answer is already on disk)", flush=True)
    if args.open:
        import webbrowser
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _report(args: argparse.Namespace) -> None:
    from benchmarks.mos.report import write_report

    s, prefix = write_report(args.study, args.out)
    print(f"{s['answers']} answers from {s['raters']} rater(s) -> {prefix}.md, .json, .png")


def main(argv: list[str] | None = None) -> None:
    args = _build_parser().parse_args(argv)
    exit_on_user_error(lambda: {"prepare": _prepare, "serve": _serve, "report": _report}[args.command](args))


if __name__ == "__main__":
    main()
