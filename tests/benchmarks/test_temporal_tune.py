"""temporal_tune's --grid: the settings a user asks for, or a clear refusal."""
import argparse

import pytest

from benchmarks.stability.temporal_tune import GRID, grid_arg, main


def test_grid_parses_settings() -> None:
    assert grid_arg("0,2,5; 0.4,2,5;") == ((0.0, 2.0, 5.0), (0.4, 2.0, 5.0))


@pytest.mark.parametrize("text", ["", "0.5,2", "1,2,5", "0.5,5,2", "a,b,c"])
def test_grid_refuses_bad_settings(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        grid_arg(text)


def test_default_grid_holds_valid_settings() -> None:
    assert grid_arg(";".join(",".join(str(v) for v in g) for g in GRID)) == GRID


def test_cli_refuses_a_bad_grid(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--checkpoint", "engines/webcam.pt", "--grid", "0.5,5,2"])
    assert exit_info.value.code == 2
    assert "HOLD,LOW,HIGH" in capsys.readouterr().err
