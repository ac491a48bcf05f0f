"""`fastaed train-student` on real tiny shards: learning, outputs, shards only, resume, refusals."""
import json
import shutil

import pytest
import torch
from click.testing import CliRunner

from pipeline.cli import main
from student import build_student, load_checkpoint, load_student, save_checkpoint

TEACHERS = ["density", "autoencoder"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def train_student(shards, run, *extra):
    args = ["train-student", "--shards", str(shards), "--out", str(run), "--batch-size", "16", "--lr", "3e-3",
            "--workers", "0", "--quiet", *map(str, extra)]
    return CliRunner().invoke(main, args)


def succeeded(result):
    assert result.exit_code == 0, result.output
    return result


def check_one_line_error(result, *fragments):
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fastaed: error: ") and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def read_log(run):
    return json.loads((run / "train_log.json").read_text())["log"]


@pytest.fixture(scope="module")
def one_epoch_run(tiny_shards, tmp_path_factory):
    """A run folder after one epoch (copy it before changing it)."""
    run = tmp_path_factory.mktemp("one_epoch") / "run"
    succeeded(train_student(tiny_shards, run, "--epochs", 1))
    return run


def test_a_few_epochs_lower_the_distillation_loss(tiny_shards, tmp_path):
    run = tmp_path / "run"
    # without the photometric jitter, whose noisy inputs slow the fall of the training loss
    result = succeeded(train_student(tiny_shards, run, "--epochs", 4, "--augment", "false"))
    log = read_log(run)
    assert [entry["epoch"] for entry in log] == [1, 2, 3, 4]
    assert log[-1]["mse"] < 0.6 * log[0]["mse"]
    assert all(entry["adv_d"] > 0 for entry in log)
    rows = (run / "train_log.tsv").read_text().splitlines()
    assert rows[0].split("\t") == ["epoch", "mse", "adv_g", "adv_d", "seconds"] and len(rows) == 5
    metrics = json.loads((run / "train_metrics.json").read_text())
    assert metrics["epochs"] == 4 and metrics["mse"] == log[-1]["mse"]
    student = load_student(run / "student.pt")
    assert student.config["teachers"] == TEACHERS and student.config["input_size"] == [80, 120]
    assert set(load_checkpoint(run / "student.pt")["optimizers"]) == {"student", "discriminators"}
    assert "student in" in result.stdout and not list(run.glob("*.tmp*"))


def test_the_learning_rate_schedule_is_chosen_and_recorded(tiny_shards, tmp_path):
    run = tmp_path / "run"
    succeeded(train_student(tiny_shards, run, "--epochs", 1, "--lr-schedule", "constant"))
    assert json.loads((run / "train_log.json").read_text())["settings"]["lr_schedule"] == "constant"
    assert load_checkpoint(run / "student.pt")["training"]["lr_schedule"] == "constant"
    assert load_checkpoint(run / "student.pt")["training"]["augment"] is True  # the default
    check_one_line_error(train_student(tiny_shards, tmp_path / "other", "--lr-schedule", "step"), "--lr-schedule")


def test_trains_from_shards_alone_with_workers(tiny_scene, tiny_shards, tmp_path):
    shards = shutil.copytree(tiny_shards, tmp_path / "shards")
    shutil.rmtree(shards / "test")
    moved = tiny_scene.rename(tmp_path / "dataset_elsewhere")
    try:
        assert not tiny_scene.exists()
        run = tmp_path / "run"
        succeeded(train_student(shards, run, "--epochs", 1, "--workers", 2, "--teachers", "autoencoder"))
    finally:
        moved.rename(tiny_scene)
    student = load_student(run / "student.pt")
    assert student.config["teachers"] == ["autoencoder"]
    assert list(student.config["fusion"]["calibration"] or ["autoencoder"]) == ["autoencoder"]
    header = json.loads((run / "train_log.json").read_text())
    assert header["train_videos"] == ["01", "02"]
    assert header["pseudo_clips"] == ["01-patch", "01-skip4", "02-patch", "02-skip4"]


def test_the_student_keeps_the_teachers_fusion_of_the_shards_report(tiny_shards, one_epoch_run, tmp_path):
    report = json.loads((tiny_shards / "report.json").read_text())["fusion"]
    fusion = load_student(one_epoch_run / "student.pt").config["fusion"]
    assert fusion == {key: report[key] for key in ("name", "combination", "quantile", "calibration")}

    shards = shutil.copytree(tiny_shards, tmp_path / "shards")
    (shards / "report.json").write_text('{"fusion": {"combination": "sum"')
    check_one_line_error(train_student(shards, tmp_path / "damaged", "--epochs", 1), "report.json",
                         "precompute-teachers")
    (shards / "report.json").unlink()  # shards without a report: the student scores its mean map
    succeeded(train_student(shards, tmp_path / "without", "--epochs", 1))
    assert "fusion" not in load_student(tmp_path / "without" / "student.pt").config


def test_resume_continues_from_the_saved_epoch(tiny_shards, one_epoch_run, tmp_path):
    run = shutil.copytree(one_epoch_run, tmp_path / "run")
    first = load_checkpoint(run / "student.pt")
    succeeded(train_student(tiny_shards, run, "--epochs", 2, "--resume"))
    second = load_checkpoint(run / "student.pt")
    log = read_log(run)
    assert [entry["epoch"] for entry in log] == [1, 2] and second["epoch"] == 2
    assert log[0] == first["log"][0]
    assert any(not torch.equal(first["model"][name], second["model"][name]) for name in first["model"])
    assert len((run / "train_log.tsv").read_text().splitlines()) == 3


def test_an_existing_run_needs_resume_or_overwrite(tiny_shards, one_epoch_run, tmp_path):
    run = shutil.copytree(one_epoch_run, tmp_path / "run")
    check_one_line_error(train_student(tiny_shards, run, "--epochs", 2), "student.pt exists", "--resume")
    succeeded(train_student(tiny_shards, run, "--epochs", 1, "--overwrite", "--seed", 1))
    assert [entry["epoch"] for entry in read_log(run)] == [1]
    assert load_checkpoint(run / "student.pt")["training"]["seed"] == 1


def _other_size(path):
    save_checkpoint(path, build_student("paper", TEACHERS, (80, 120)), epoch=1)


def _truncated(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _not_a_checkpoint(path):
    torch.save({"weights": torch.zeros(3)}, path)


@pytest.mark.parametrize("damage, fragment", [(_other_size, "size 'paper', not 'fast'"),
                                              (_truncated, "not a fastaed student checkpoint"),
                                              (_not_a_checkpoint, "not a fastaed student checkpoint")])
def test_resume_refuses_a_checkpoint_it_cannot_continue(tiny_shards, one_epoch_run, tmp_path, damage, fragment):
    run = shutil.copytree(one_epoch_run, tmp_path / "run")
    checkpoint = run / "student.pt"
    damage(checkpoint)
    before = checkpoint.read_bytes()
    check_one_line_error(train_student(tiny_shards, run, "--epochs", 2, "--resume"), str(checkpoint), fragment)
    assert checkpoint.read_bytes() == before


def test_resume_with_other_teachers_is_refused(tiny_shards, one_epoch_run, tmp_path):
    run = shutil.copytree(one_epoch_run, tmp_path / "run")
    check_one_line_error(train_student(tiny_shards, run, "--epochs", 2, "--resume", "--teachers", "density"),
                         "--teachers density,autoencoder")


def test_resume_on_shards_of_another_configuration_is_refused(tiny_shards, one_epoch_run, tmp_path):
    run = shutil.copytree(one_epoch_run, tmp_path / "run")
    log = json.loads((run / "train_log.json").read_text())
    (run / "train_log.json").write_text(json.dumps({**log, "shards_config_hash": "0123456789abcdef"}))
    check_one_line_error(train_student(tiny_shards, run, "--epochs", 2, "--resume"), "0123456789abcdef")


def test_the_student_input_must_be_the_shards_frame_size(tiny_shards, tmp_path):
    check_one_line_error(train_student(tiny_shards, tmp_path / "run", "--size", "paper"),
                         "80x120 frames", "--frame-size 240x360", "--size fast")
    check_one_line_error(train_student(tiny_shards, tmp_path / "run", "--size", "accurate"),
                         "80x120 frames", "--frame-size 120x180", "--size fast")
    assert not (tmp_path / "run" / "student.pt").exists()


def test_unknown_teachers_and_sizes_are_one_line(tiny_shards, tmp_path):
    check_one_line_error(train_student(tiny_shards, tmp_path / "run", "--teachers", "motion"), "density, autoencoder")
    check_one_line_error(train_student(tiny_shards, tmp_path / "run", "--size", "huge"), "fast, accurate, separable, paper")


def test_a_damaged_shard_is_named(tiny_shards, tmp_path):
    shards = shutil.copytree(tiny_shards, tmp_path / "shards")
    path = shards / "train" / "01.h5"
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    path.write_bytes(bytes(data))
    check_one_line_error(train_student(shards, tmp_path / "run"), str(path), "precompute-teachers")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_one_line(tiny_shards, tmp_path):
    check_one_line_error(train_student(tiny_shards, tmp_path / "run", "--device", "cuda"), "--device cpu")


def test_auto_epochs_make_the_training_steps_over_these_shards(tiny_shards, tmp_path, monkeypatch):
    import pipeline.cli.train_student as train_student_command
    from pipeline.training_data import ShardTrainingSet

    frames = len(ShardTrainingSet(tiny_shards, pseudo_anomalies=True, holdout_fraction=0.1))
    steps_per_epoch = -(-frames // 16)
    monkeypatch.setattr(train_student_command, "TRAINING_STEPS", 2 * steps_per_epoch + 1)
    run = tmp_path / "run"
    succeeded(train_student(tiny_shards, run, "--epochs", "auto"))
    assert len(read_log(run)) == 3
    assert json.loads((run / "train_log.json").read_text())["settings"]["epochs"] == 3


@pytest.mark.parametrize("epochs", ["0", "-2", "many", "1.5"])
def test_epochs_that_are_neither_a_count_nor_auto_are_refused(tiny_shards, tmp_path, epochs):
    check_one_line_error(train_student(tiny_shards, tmp_path / "run", "--epochs", epochs), repr(epochs), "auto")
    assert not (tmp_path / "run" / "student.pt").exists()
