"""`fastaed dataset-info`: counts on the real UCSD Ped2, the table, and one-line errors on bad input."""
import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from test_datasets_builders import build_repacked, random_frames, write_images

PED2 = Path(__file__).resolve().parents[2] / "shared/data/ucsd_ped2"


@pytest.mark.skipif(not PED2.is_dir(), reason=f"{PED2} is absent")
def test_dataset_info_json_on_real_ucsd_ped2():
    result = subprocess.run([sys.executable, "-m", "pipeline", "dataset-info", "--json", str(PED2)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "name": "ucsd_ped2", "layout": "ucsd-repacked",
        "train": {"videos": 16, "frames": 2550},
        "test": {"videos": 12, "frames": 2010, "anomalous_frames": 1648},
    }


def test_dataset_info_prints_a_table(tmp_path):
    build_repacked(tmp_path / "tiny")
    result = CliRunner().invoke(main, ["dataset-info", str(tmp_path / "tiny")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "tiny (ucsd-repacked), frame size 32x24 (width x height)"
    assert lines[2].split() == ["train", "2", "9", "-", "-", "-"]
    assert lines[3].split() == ["test", "2", "11", "5", "2", "2"]


def test_dataset_info_json_without_labels(tmp_path):
    write_images(tmp_path / "cam" / "a", random_frames(80, 3))
    result = CliRunner().invoke(main, ["dataset-info", "--json", str(tmp_path / "cam")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"name": "cam", "layout": "folder", "train": {"videos": 1, "frames": 3},
                                         "test": {"videos": 0, "frames": 0, "anomalous_frames": 0}}


def missing_root(tmp_path):
    return tmp_path / "no_such_dataset", "does not exist"


def unknown_layout(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to read")
    return tmp_path, "no known dataset layout"


def mixed_frame_sizes(tmp_path):
    write_images(tmp_path / "cam" / "a", random_frames(81, 3))
    assert cv2.imwrite(str(tmp_path / "cam" / "a" / "003.png"), random_frames(82, 1, size=(30, 40))[0])
    return tmp_path / "cam", "003.png is 40x30 but the video's frames are 32x24"


def label_length_mismatch(tmp_path):
    build_repacked(tmp_path, masks=False)
    (tmp_path / "gt" / "frame_labels.json").write_text(json.dumps({"01": [0] * 6, "02": [1] * 4}))
    return tmp_path, "test video 02: .* gives 4 frame labels but the video has 5 frames"


@pytest.mark.parametrize("bad_input", [missing_root, unknown_layout, mixed_frame_sizes, label_length_mismatch])
def test_bad_input_gives_one_line_and_nonzero_exit(tmp_path, bad_input):
    root, message = bad_input(tmp_path)
    result = CliRunner().invoke(main, ["dataset-info", "--json", str(root)])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("fastaed: error: ")
    assert "Traceback" not in result.output
    assert re.search(message, result.stderr), result.stderr
