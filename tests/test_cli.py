"""The console script's shape: every command of INTERFACES.md is there and errors are one line."""
import subprocess
import sys

import pytest

INTERFACE_COMMANDS = ["synth", "dataset-info", "metrics", "precompute-teachers", "train-student",
                      "evaluate", "score", "benchmark-fps", "export", "validate-student"]


def run_fastaed(*args):
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True)


def test_help_lists_every_interface_command():
    result = run_fastaed("--help")
    assert result.returncode == 0
    for name in INTERFACE_COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", INTERFACE_COMMANDS)
def test_every_command_has_help(name):
    result = run_fastaed(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_usage_errors_are_one_line():
    result = run_fastaed("synth", "/tmp/unused", "--frames", "abc")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--frames" in lines[0] and "Traceback" not in result.stderr


def test_unknown_command_is_one_line():
    result = run_fastaed("no-such-command")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
