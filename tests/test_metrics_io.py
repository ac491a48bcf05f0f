"""Reading metric inputs: every malformed file is one FastaedError naming the file and the problem."""
import json

import numpy as np
import pytest

from pipeline.errors import FastaedError
from pipeline.metrics import (
    Region,
    TrackRegion,
    check_rows_in_labels,
    check_scores_match_labels,
    read_labels,
    read_regions,
    read_scores,
    read_tracks,
    write_json_atomic,
)


def write(path, text):
    path.write_text(text)
    return path


def test_reads_scores_and_labels(tmp_path):
    scores = read_scores(write(tmp_path / "s.json", '{"01": [0.5, 1, -2e3]}'))
    labels = read_labels(write(tmp_path / "l.json", '{"01": [0, 1, 0]}'))
    np.testing.assert_array_equal(scores["01"], [0.5, 1.0, -2000.0])
    assert labels["01"].dtype == np.uint8 and labels["01"].tolist() == [0, 1, 0]


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("   \n", "is empty"),
    ('{"01": [0.1, 0.2', "not valid JSON"),
    ("[0.1, 0.2]", "must be a JSON object"),
    ("{}", "no videos"),
    ('{"01": 0.5}', "expected a list"),
    ('{"01": []}', "has no scores"),
    ('{"01": [0.1, NaN]}', "frame 1: score is nan"),
    ('{"01": [Infinity]}', "frame 0: score is inf"),
    ('{"01": [0.1, "0.2"]}', "is not a number"),
    ('{"01": [0.1, null]}', "is not a number"),
    ('{"01": [true]}', "is not a number"),
    ('{"01": [0.1], "01": [0.2]}', r"videos \['01'\] appear more than once"),
])
def test_malformed_scores(tmp_path, text, message):
    path = write(tmp_path / "s.json", text)
    with pytest.raises(FastaedError, match=message) as error:
        read_scores(path)
    assert str(path) in str(error.value)


def test_missing_files(tmp_path):
    with pytest.raises(FastaedError, match="no such scores file"):
        read_scores(tmp_path / "absent.json")
    with pytest.raises(FastaedError, match="no such labels file or dataset folder"):
        read_labels(tmp_path / "absent")
    with pytest.raises(FastaedError, match="no such CSV file"):
        read_regions(tmp_path / "absent.csv")


def test_labels_must_be_zero_or_one(tmp_path):
    with pytest.raises(FastaedError, match="frame 2: label 2 is not 0 or 1"):
        read_labels(write(tmp_path / "l.json", '{"01": [0, 1, 2]}'))


def test_scores_must_match_labelled_videos_and_lengths():
    labels = {"01": np.zeros(3), "02": np.zeros(2)}
    with pytest.raises(FastaedError, match=r"s.json: scores for unknown videos \['07'\]"):
        check_scores_match_labels({"01": [0] * 3, "02": [0] * 2, "07": [0]}, labels, "s.json", "l.json")
    with pytest.raises(FastaedError, match=r"no scores for videos \['02'\]"):
        check_scores_match_labels({"01": [0] * 3}, labels, "s.json", "l.json")
    with pytest.raises(FastaedError, match="video '02' has 3 scores but l.json has 2 frames"):
        check_scores_match_labels({"01": [0] * 3, "02": [0] * 3}, labels, "s.json", "l.json")


def test_reads_regions_and_tracks(tmp_path):
    regions = read_regions(write(tmp_path / "r.csv", "video,frame,x1,y1,x2,y2,score\n01,3,1,2,5,6,0.75\n"))
    tracks = read_tracks(write(tmp_path / "t.csv", "track,video,frame,x1,y1,x2,y2,note\n4,01,3,1,2,5,6,x\n"))
    assert regions == [Region("01", 3, 1, 2, 5, 6, 0.75)]
    assert tracks == [TrackRegion("01", 4, 3, 1, 2, 5, 6)]
    assert read_regions(write(tmp_path / "empty.csv", "video,frame,x1,y1,x2,y2,score\n")) == []


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("video,frame,x1,y1,x2,score\n", "missing columns y2"),
    ("video,frame,x1,y1,x2,y2,score\n01,3,1,2,5,6\n", "line 2 has a different number of fields"),
    ("video,frame,x1,y1,x2,y2,score\n01,3,1,2,5,6,0.5,9\n", "line 2 has a different number of fields"),
    ("video,frame,x1,y1,x2,y2,score\n01,3,a,2,5,6,0.5\n", "line 2: x1 'a' is not a number"),
    ("video,frame,x1,y1,x2,y2,score\n01,3,1,2,5,6,nan\n", "line 2: score is 'nan'"),
    ("video,frame,x1,y1,x2,y2,score\n01,-1,1,2,5,6,0.5\n", "frame '-1' is not an integer >= 0"),
    ("video,frame,x1,y1,x2,y2,score\n01,2.5,1,2,5,6,0.5\n", "frame '2.5' is not an integer"),
    ("video,frame,x1,y1,x2,y2,score\n01,3,9,2,5,6,0.5\n", "x2 < x1"),
])
def test_malformed_regions(tmp_path, text, message):
    path = write(tmp_path / "r.csv", text)
    with pytest.raises(FastaedError, match=message) as error:
        read_regions(path)
    assert str(path) in str(error.value)


def test_malformed_tracks(tmp_path):
    header = "video,track,frame,x1,y1,x2,y2\n"
    with pytest.raises(FastaedError, match="no ground-truth regions"):
        read_tracks(write(tmp_path / "t.csv", header))
    with pytest.raises(FastaedError, match="already has a region in frame 3"):
        read_tracks(write(tmp_path / "t.csv", header + "01,0,3,1,1,4,4\n01,0,3,5,5,8,8\n"))


def test_rows_must_lie_in_labelled_frames():
    labels = {"01": np.zeros(4)}
    check_rows_in_labels([Region("01", 3, 0, 0, 1, 1, 0.5)], labels, "r.csv", "l.json")
    with pytest.raises(FastaedError, match="r.csv: region in unknown video '02'"):
        check_rows_in_labels([Region("02", 0, 0, 0, 1, 1, 0.5)], labels, "r.csv", "l.json")
    with pytest.raises(FastaedError, match="frame 4 of video '01', which has 4 frames"):
        check_rows_in_labels([TrackRegion("01", 0, 4, 0, 0, 1, 1)], labels, "t.csv", "l.json")


def test_write_json_atomic_leaves_only_the_final_file(tmp_path):
    out = tmp_path / "report" / "metrics.json"
    write_json_atomic(out, {"micro_auc": 0.5})
    assert json.loads(out.read_text()) == {"micro_auc": 0.5}
    assert [p.name for p in out.parent.iterdir()] == ["metrics.json"]
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "nan.json", {"micro_auc": float("nan")})
    assert list(tmp_path.glob("*nan.json*")) == []
