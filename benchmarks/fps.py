"""`python benchmarks/fps.py` (the command README promises) and `sharpcam bench`: benchmarks/speed/fps.py."""
import sys
from pathlib import Path

if not __package__:  # run as a script, sys.path[0] is benchmarks/ itself; the packages sit one folder up
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.speed.fps import main  # noqa: E402

if __name__ == "__main__":
    main()
