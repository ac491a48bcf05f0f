"""Student networks, target pooling and discriminators: shapes, sizes, and where the gradients go."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from student import (
    SCALES, build_discriminators, build_student, discriminator_loss, generator_adversarial_loss,
    pool_to_scales)
from student.scales import adaptive_max_pool
from student.training import _step


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _maps(batch, teachers, value=0.0, seed=None):
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    return {s: value + torch.rand(batch, teachers, s, s, generator=generator) for s in SCALES}


@pytest.mark.parametrize("size, input_size",
                         [("fast", None), ("fast", (64, 96)), ("accurate", None), ("separable", None),
                          ("separable", (64, 96)), ("paper", (96, 144))])
def test_each_size_outputs_maps_at_1_4_16_per_teacher(size, input_size):
    model = build_student(size, ["motion", "appearance"], input_size)
    height, width = model.config["input_size"]
    maps = model(torch.rand(3, 3, height, width))
    assert sorted(maps) == [1, 4, 16]
    assert all(tuple(maps[s].shape) == (3, 2, s, s) for s in SCALES)


def test_default_input_sizes_and_config_are_plain_data():
    fast, paper = build_student("fast", 1), build_student("paper", 3)
    assert fast.config == {"size": "fast", "teachers": ["teacher0"], "input_size": [80, 120],
                           "target_transform": "capped-log1p"}
    assert paper.config["input_size"] == [240, 360] and len(paper.config["teachers"]) == 3


def test_paper_size_has_about_five_million_parameters():
    count = sum(p.numel() for p in build_student("paper", 2).parameters())
    assert 4_000_000 <= count <= 6_000_000


def test_fast_size_stays_within_its_cpu_budget_of_30_mflop_per_frame():
    model = build_student("fast", 2)
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 80, 120))
    assert counter.get_total_flops() <= 30e6


def test_separable_size_has_a_third_of_fasts_arithmetic_and_folds_exactly():
    from student.networks.layers import fold_batch_norms

    def flops(model):
        with FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, 3, 80, 120))
        return counter.get_total_flops()

    separable = build_student("separable", 2)
    assert flops(separable) <= flops(build_student("fast", 2)) / 3
    for module in separable.modules():  # batch norms away from their defaults, so folding has work to do
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    separable.eval()
    x = torch.rand(2, 3, 80, 120)
    before = separable(x)[16]
    folded = fold_batch_norms(separable)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert torch.allclose(folded(x)[16], before, atol=1e-5)


def test_unknown_size_and_bad_teachers_raise_clear_errors():
    with pytest.raises(ValueError, match="unknown student size 'huge'"):
        build_student("huge", 1)
    with pytest.raises(ValueError, match="unique"):
        build_student("fast", ["a", "a"])


def test_targets_are_max_pools_of_the_fine_grid():
    fine = torch.zeros(1, 1, 30, 45)
    fine[0, 0, 29, 0] = 3.0
    fine[0, 0, 10, 20] = 1.0
    maps = pool_to_scales(fine)
    assert maps[1].item() == 3.0
    assert maps[4][0, 0, 3, 0] == 3.0 and maps[4][0, 0, 1, 1] == 1.0 and maps[4].sum() == 4.0
    assert maps[16][0, 0, 15, 0] == 3.0 and maps[16].max() == 3.0


@pytest.mark.parametrize("height, width", [(20, 30), (5, 8), (30, 45), (3, 2), (16, 16), (17, 100)])
def test_gather_max_pooling_equals_adaptive_max_pooling(height, width):
    x = torch.randn(2, 3, height, width)
    for size in SCALES:
        assert torch.equal(adaptive_max_pool(x, size), torch.nn.functional.adaptive_max_pool2d(x, size))


def test_discriminator_loss_depends_on_and_trains_from_the_student_maps():
    torch.manual_seed(0)
    discriminators = build_discriminators(2)
    real = _maps(4, 2, value=1.0, seed=1)
    fake = {s: m.requires_grad_() for s, m in _maps(4, 2, seed=2).items()}
    loss = discriminator_loss(discriminators, real, fake)
    loss.backward()
    assert all(fake[s].grad.abs().sum() > 0 for s in SCALES), "D's loss must see the student's maps"
    grads_a = [p.grad.clone() for p in discriminators.parameters()]
    other_fake = _maps(4, 2, seed=3)
    assert discriminator_loss(discriminators, real, other_fake).item() != pytest.approx(loss.item())
    discriminators.zero_grad()
    discriminator_loss(discriminators, real, other_fake).backward()
    grads_b = [p.grad for p in discriminators.parameters()]
    assert any(not torch.allclose(a, b) for a, b in zip(grads_a, grads_b)), "D's gradient must come from fakes too"


def test_training_step_updates_discriminators_from_the_students_output():
    def discriminator_after_one_step(student_seed):
        torch.manual_seed(student_seed)
        model = build_student("fast", 1, (32, 48))
        torch.manual_seed(0)
        discriminators = build_discriminators(1)
        optimizers = {"student": torch.optim.Adam(model.parameters()),
                      "discriminators": torch.optim.Adam(discriminators.parameters())}
        x = torch.rand(4, 3, 32, 48, generator=torch.Generator().manual_seed(5))
        _step(model, discriminators, optimizers, x, _maps(4, 1, seed=6), adv_weight=0.1)
        return torch.cat([p.detach().flatten() for p in discriminators.parameters()])

    assert not torch.allclose(discriminator_after_one_step(1), discriminator_after_one_step(2))


def test_generator_adversarial_loss_backpropagates_into_the_student():
    model = build_student("fast", 2, (32, 48))
    loss = generator_adversarial_loss(build_discriminators(2), model(torch.rand(2, 3, 32, 48)))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    assert sum(p.grad.abs().sum() for p in model.parameters()) > 0
