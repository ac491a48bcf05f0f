"""Training loop, checkpoints and resume on a tiny in-memory dataset."""
import pickle

import pytest
import torch
from torch.utils.data import Dataset

from student import build_student, load_checkpoint, load_student, save_checkpoint, train
from student.training import prepare_batch, scheduled_lr

INPUT_SIZE = (32, 48)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class MovingSquares(Dataset):
    """Triplets of a bright square moving right; the teacher's map is its speed painted into its cells."""

    def __init__(self, count=48, seed=0):
        generator = torch.Generator().manual_seed(seed)
        self.items = []
        for _ in range(count):
            speed = int(torch.randint(0, 4, (1,), generator=generator))
            row = int(torch.randint(4, 22, (1,), generator=generator))
            col = int(torch.randint(4, 26, (1,), generator=generator))
            frames = torch.zeros(3, *INPUT_SIZE, dtype=torch.uint8)
            for k in range(3):
                left = col + (k - 1) * 3 * speed
                frames[k, row:row + 6, max(left, 0):left + 6] = 255
            target = torch.zeros(4, 6)
            target[row // 8:(row + 5) // 8 + 1, col // 8:(col + 5) // 8 + 1] = float(speed)
            self.items.append((frames, {"motion": target}))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


def _mse_on(model, dataset):
    frames = torch.stack([f for f, _ in dataset.items])
    targets = {"motion": torch.stack([t["motion"] for _, t in dataset.items])}
    x, maps = prepare_batch(frames, targets, model.config, "cpu")
    with torch.no_grad():
        out = model.eval()(x)
    return sum(torch.nn.functional.mse_loss(out[s], maps[s]).item() for s in maps) / len(maps)


def test_a_few_epochs_lower_the_distillation_loss():
    torch.manual_seed(0)
    data = MovingSquares()
    model = build_student("fast", ["motion"], INPUT_SIZE)
    before = _mse_on(model, data)
    log = train(model, None, data, epochs=6, batch_size=8, lr=3e-3, progress=False)
    assert [entry["epoch"] for entry in log] == list(range(1, 7))
    assert all(entry["adv_d"] > 0 and entry["adv_g"] > 0 for entry in log)
    assert _mse_on(model, data) < 0.5 * before


def test_checkpoint_round_trip_gives_the_same_maps(tmp_path):
    data = MovingSquares(count=8)
    model = build_student("fast", ["motion"], INPUT_SIZE)
    path = tmp_path / "run" / "student.pt"
    train(model, None, data, epochs=1, batch_size=4, checkpoint_path=path, progress=False)
    payload = load_checkpoint(path, size="fast")
    assert payload["epoch"] == 1 and set(payload["optimizers"]) == {"student", "discriminators"}
    assert payload["config"] == {"size": "fast", "teachers": ["motion"], "input_size": list(INPUT_SIZE),
                                 "target_transform": "capped-log1p"}
    loaded = load_student(path)
    x = torch.rand(2, 3, *INPUT_SIZE)
    expected, got = model.eval()(x), loaded(x)
    assert all(torch.allclose(expected[s], got[s]) for s in expected)
    assert [p.name for p in path.parent.iterdir()] == ["student.pt"], "no temporary file may be left"


def test_resume_continues_after_the_saved_epoch(tmp_path):
    data = MovingSquares(count=8)
    path = tmp_path / "student.pt"
    first = train(build_student("fast", ["motion"], INPUT_SIZE), None, data, epochs=1, batch_size=4,
                  checkpoint_path=path, progress=False)
    ran = []
    log = train(build_student("fast", ["motion"], INPUT_SIZE), None, data, epochs=3, batch_size=4,
                checkpoint_path=path, resume=True, progress=False, on_epoch=lambda e: ran.append(e["epoch"]))
    assert ran == [2, 3]
    assert log[0] == first[0] and [e["epoch"] for e in log] == [1, 2, 3]
    assert load_checkpoint(path)["epoch"] == 3
    fresh = []
    train(build_student("fast", ["motion"], INPUT_SIZE), None, data, epochs=1, batch_size=4,
          checkpoint_path=path, resume=False, progress=False, on_epoch=lambda e: fresh.append(e["epoch"]))
    assert fresh == [1], "without resume, training starts over"


def _stop_after_first_epoch(entry):
    if entry["epoch"] == 1:
        raise KeyboardInterrupt


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    data = MovingSquares(count=12)
    torch.manual_seed(0)
    straight = build_student("fast", ["motion"], INPUT_SIZE)
    train(straight, None, data, epochs=3, batch_size=4, progress=False)
    path = tmp_path / "student.pt"
    torch.manual_seed(0)
    with pytest.raises(KeyboardInterrupt):
        train(build_student("fast", ["motion"], INPUT_SIZE), None, data, epochs=3, batch_size=4, checkpoint_path=path,
              progress=False, on_epoch=_stop_after_first_epoch)
    resumed = build_student("fast", ["motion"], INPUT_SIZE)
    train(resumed, None, data, epochs=3, batch_size=4, checkpoint_path=path, resume=True, progress=False)
    for name, value in straight.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), f"{name} differs after resuming"


def test_cosine_schedule_falls_from_lr_to_zero_and_constant_keeps_it():
    rates = [scheduled_lr(1e-3, "cosine", step, 100) for step in range(100)]
    assert rates[0] == pytest.approx(1e-3) and rates[50] == pytest.approx(5e-4) and rates[-1] < 1e-6
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert {scheduled_lr(1e-3, "constant", step, 100) for step in range(100)} == {1e-3}
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'step'"):
        train(build_student("fast", ["motion"], INPUT_SIZE), None, MovingSquares(count=4), epochs=1,
              progress=False, lr_schedule="step")


def test_resume_from_a_student_with_other_teachers_is_refused(tmp_path):
    path = tmp_path / "student.pt"
    save_checkpoint(path, build_student("fast", ["appearance"], INPUT_SIZE), epoch=1)
    with pytest.raises(ValueError, match=r"cannot resume .* teachers \['appearance'\], not \['motion'\]"):
        train(build_student("fast", ["motion"], INPUT_SIZE), None, MovingSquares(count=4), epochs=2,
              checkpoint_path=path, resume=True, progress=False)


def test_dataset_without_the_students_teachers_is_refused():
    with pytest.raises(ValueError, match=r"no target maps for teachers \['appearance'\]"):
        train(build_student("fast", ["appearance"], INPUT_SIZE), None, MovingSquares(count=4), epochs=1,
              progress=False)


def test_checkpoint_of_another_size_names_both_sizes(tmp_path):
    path = tmp_path / "student.pt"
    save_checkpoint(path, build_student("paper", 1, (64, 96)))
    with pytest.raises(ValueError, match=f"checkpoint {path} was trained for size 'paper', not 'fast'"):
        load_student(path, size="fast")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("content", ["garbage", "truncated", "state_dict", "pickled_object"])
def test_corrupt_or_foreign_files_are_not_checkpoints(tmp_path, content):
    path = tmp_path / "student.pt"
    if content == "garbage":
        path.write_bytes(b"\x00not a torch file at all")
    elif content == "truncated":
        save_checkpoint(path, build_student("fast", 1))
        path.write_bytes(path.read_bytes()[:5000])
    elif content == "state_dict":
        torch.save(build_student("fast", 1).state_dict(), path)
    else:
        path.write_bytes(pickle.dumps(MovingSquares(count=1)))
    with pytest.raises(ValueError, match=f"^{path} is not a fastaed student checkpoint: "):
        load_student(path)


def test_missing_checkpoint_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_student(tmp_path / "nothing.pt")


def test_targets_are_pooled_then_compressed_into_student_units():
    config = build_student("fast", ["motion"], INPUT_SIZE).config
    fine = torch.zeros(1, 30, 45)
    fine[0, 5, 7] = 9.0
    _, maps = prepare_batch(torch.zeros(1, 3, *INPUT_SIZE), {"motion": fine}, config, "cpu")
    assert maps[1].item() == pytest.approx(float(torch.log1p(torch.tensor(9.0))))
    assert float(maps[16].min()) == 0.0
    fine.fill_(-3.0)
    fine[0, 5, 7] = 500.0
    _, maps = prepare_batch(torch.zeros(1, 3, *INPUT_SIZE), {"motion": fine}, config, "cpu")
    assert maps[1].item() == pytest.approx(float(torch.log1p(torch.tensor(10.0)))), "scores above the cap saturate"
    assert float(maps[16].min()) == pytest.approx(-float(torch.log1p(torch.tensor(3.0))))


def test_photometric_jitter_gives_each_sample_one_gain_and_offset_for_all_its_frames():
    from student.augmentation import PHOTOMETRIC, photometric_jitter

    torch.manual_seed(0)
    x = torch.stack([torch.full((8, 8), value) for value in (0.2, 0.4, 0.6)]).expand(64, 3, 8, 8).contiguous()
    y = photometric_jitter(x, noise=0.0)
    gains = (y[:, 2] - y[:, 0]) / 0.4
    offsets = y[:, 0] - 0.2 * gains
    low, high = PHOTOMETRIC["gain"]
    assert ((gains > low - 1e-5) & (gains < high + 1e-5)).all()
    assert offsets.abs().max() <= PHOTOMETRIC["offset"] + 1e-5
    torch.testing.assert_close(y[:, 1], 0.4 * gains + offsets)  # the middle frame: the same map
    assert gains.std() > 0.05 and offsets.std() > 0.01  # samples differ
    noisy = photometric_jitter(x)
    assert 0 <= noisy.min() and noisy.max() <= 1 and noisy.std(dim=(2, 3)).mean() > 0.005
