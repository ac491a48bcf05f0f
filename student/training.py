"""The distillation training loop: MSE to the teachers' maps plus adversarial losses, with checkpoints and resume."""
import math
import signal
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

from student.augmentation import photometric_jitter
from student.checkpoints import load_checkpoint, save_checkpoint
from student.discriminators import build_discriminators
from student.losses import discriminator_loss, distillation_mse, generator_adversarial_loss
from student.scales import pool_to_scales
from student.target_transforms import to_student_units


def prepare_batch(frames, targets, config, device):
    """Turn a collated batch into the student's input (B, 3, H, W) in [0, 1] and pooled target maps.

    ``frames`` may be uint8 (0..255) or float (0..1); frames of another size than the student's
    input are area-resized. ``targets`` maps each teacher name to its (B, h, w) fine grid; the
    result is {scale: (B, K, s, s)} in the student's teacher order and units (its target transform).

    Example:
        >>> config = {"size": "fast", "teachers": ["a"], "input_size": [80, 120], "target_transform": "identity"}
        >>> x, maps = prepare_batch(torch.zeros(2, 3, 80, 120, dtype=torch.uint8),
        ...                         {"a": torch.ones(2, 30, 45)}, config, "cpu")
        >>> tuple(x.shape), float(maps[16].max())
        ((2, 3, 80, 120), 1.0)
    """
    missing = [name for name in config["teachers"] if name not in targets]
    if missing:
        raise ValueError(f"the dataset has no target maps for teachers {missing} (it has {sorted(targets)}); "
                         f"the student was built for {config['teachers']}")
    x = frames.to(device, non_blocking=True)
    x = x.float().div_(255) if x.dtype == torch.uint8 else x.float()
    if list(x.shape[-2:]) != list(config["input_size"]):
        x = F.interpolate(x, size=tuple(config["input_size"]), mode="area")
    fine = torch.stack([targets[name] for name in config["teachers"]], dim=1).to(device, non_blocking=True)
    fine = to_student_units(fine.float(), config["target_transform"])
    return x.contiguous(memory_format=torch.channels_last), pool_to_scales(fine)


LR_SCHEDULES = ("cosine", "constant")
DEFAULT_LR_SCHEDULE = "cosine"


def check_lr_schedule(name):
    """Raise ValueError unless ``name`` is a known learning-rate schedule.

    Example:
        >>> check_lr_schedule("cosine")
    """
    if name not in LR_SCHEDULES:
        raise ValueError(f"unknown learning-rate schedule '{name}': choose one of {', '.join(LR_SCHEDULES)}")


def scheduled_lr(lr, schedule, step, total_steps):
    """The learning rate of both optimizers at ``step`` (0-based) of ``total_steps``.

    ``cosine`` falls from ``lr`` to 0 along half a cosine over the whole run, ``constant`` keeps
    ``lr``. The rate depends on the step alone, so a resumed run continues the same curve.

    Example:
        >>> [round(scheduled_lr(1.0, "cosine", step, 4), 3) for step in range(4)]
        [1.0, 0.854, 0.5, 0.146]
    """
    check_lr_schedule(schedule)
    if schedule == "constant":
        return lr
    return 0.5 * lr * (1 + math.cos(math.pi * step / total_steps))


def train(model, discriminators, dataset, epochs, batch_size=64, lr=1e-3, adv_weight=0.1, device="cpu",
          num_workers=0, checkpoint_path=None, resume=False, seed=0, progress=True, on_epoch=None, should_stop=None,
          lr_schedule=DEFAULT_LR_SCHEDULE, augment=True):
    """Distil the teachers' maps into ``model``; return the per-epoch log (list of dicts).

    ``dataset`` yields (frames (3, H, W) uint8 or float, {teacher: (h, w) float32 grid}).
    ``discriminators`` is a ModuleList with one discriminator per teacher, or None to build them;
    with ``adv_weight`` 0 they are not trained. After each epoch a checkpoint with the model,
    the discriminators, both optimizers, the epoch and the log is written to ``checkpoint_path``
    (atomically), and ``on_epoch(entry)`` is called. With ``resume`` and an existing checkpoint,
    training continues after its last completed epoch until ``epochs`` epochs are done.
    Log entries: {"epoch", "mse", "adv_g", "adv_d", "seconds"} (epoch counts from 1).
    ``lr_schedule`` (see :func:`scheduled_lr`) sets both optimizers' rate before every step; with
    the default ``cosine`` the last epochs take small steps, so the final weights (the ones the
    checkpoint keeps; there is no model selection) vary far less from one epoch to the next.
    ``should_stop()`` is asked after every batch; when it answers True, training stops with
    KeyboardInterrupt (the checkpoint holds the last completed epoch). DataLoader workers ignore
    SIGINT, so a Ctrl-C reaches only the caller, which decides through ``should_stop``.
    ``augment`` jitters each input's brightness (:func:`student.augmentation.photometric_jitter`);
    the targets stay the teachers' maps.

    Example:
        >>> from student.networks import build_student
        >>> data = [(torch.zeros(3, 80, 120), {"teacher0": torch.zeros(10, 15)})] * 4
        >>> log = train(build_student("fast", 1), None, data, epochs=1, batch_size=2, progress=False)
        >>> sorted(log[0])
        ['adv_d', 'adv_g', 'epoch', 'mse', 'seconds']
    """
    if len(dataset) == 0:
        raise ValueError("the training dataset is empty: it needs at least one frame with teacher maps")
    check_lr_schedule(lr_schedule)
    if epochs < 1 or batch_size < 1 or lr <= 0 or adv_weight < 0:
        raise ValueError(f"training needs epochs >= 1, batch size >= 1, lr > 0 and adv weight >= 0; got epochs "
                         f"{epochs}, batch size {batch_size}, lr {lr}, adv weight {adv_weight}")
    device = torch.device(device)
    config = model.config
    if discriminators is None:
        discriminators = build_discriminators(config["teachers"])
    model.to(device).to(memory_format=torch.channels_last)
    discriminators.to(device)
    optimizers = {
        "student": torch.optim.Adam(model.parameters(), lr=lr),
        "discriminators": torch.optim.Adam(discriminators.parameters(), lr=lr, betas=(0.5, 0.999)),
    }
    settings = {"epochs": int(epochs), "batch_size": int(batch_size), "lr": float(lr),
                "adv_weight": float(adv_weight), "seed": int(seed), "lr_schedule": lr_schedule,
                "augment": bool(augment)}
    start_epoch, log = 0, []
    if resume and checkpoint_path is not None and Path(checkpoint_path).is_file():
        start_epoch, log = _restore(checkpoint_path, model, discriminators, optimizers, device)
    steps_per_epoch = math.ceil(len(dataset) / batch_size)
    for epoch in range(start_epoch, epochs):
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers,
                            pin_memory=device.type == "cuda", persistent_workers=False,
                            generator=torch.Generator().manual_seed(seed + epoch),
                            worker_init_fn=_ignore_sigint if num_workers else None)
        torch.manual_seed(seed + epoch)
        model.train()
        discriminators.train()
        sums = {"mse": 0.0, "adv_g": 0.0, "adv_d": 0.0}
        started, count = time.perf_counter(), 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for batch, (frames, targets) in enumerate(_stoppable(bar, should_stop)):
            rate = scheduled_lr(lr, lr_schedule, epoch * steps_per_epoch + batch, epochs * steps_per_epoch)
            for optimizer in optimizers.values():
                for group in optimizer.param_groups:
                    group["lr"] = rate
            x, target_maps = prepare_batch(frames, targets, config, device)
            if augment:
                x = photometric_jitter(x)
            losses = _step(model, discriminators, optimizers, x, target_maps, adv_weight)
            if not all(math.isfinite(value) for value in losses.values()):
                raise ValueError(f"training diverged in epoch {epoch + 1} (losses {losses}): lower the learning rate")
            for name, value in losses.items():
                sums[name] += value * len(x)
            count += len(x)
            bar.set_postfix({name: f"{value:.4f}" for name, value in losses.items()})
        bar.close()
        entry = {"epoch": epoch + 1, **{name: total / count for name, total in sums.items()},
                 "seconds": time.perf_counter() - started}
        log.append(entry)
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, model, discriminators, optimizers, epoch + 1, log, settings)
        if on_epoch is not None:
            on_epoch(entry)
    return log


def _ignore_sigint(_worker_id):
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stoppable(batches, should_stop):
    """The batches, until ``should_stop()``; a loader failing once a stop was asked (a worker
    that the same Ctrl-C reached before it could ignore it) counts as that stop."""
    iterator = iter(batches)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except RuntimeError:
            if should_stop is not None and should_stop():
                raise KeyboardInterrupt from None
            raise
        if should_stop is not None and should_stop():
            raise KeyboardInterrupt
        yield batch


def _step(model, discriminators, optimizers, x, target_maps, adv_weight):
    student_maps = model(x)
    mse = distillation_mse(student_maps, target_maps)
    if adv_weight == 0:
        optimizers["student"].zero_grad(set_to_none=True)
        mse.backward()
        optimizers["student"].step()
        return {"mse": mse.item(), "adv_g": 0.0, "adv_d": 0.0}
    discriminators.requires_grad_(False)
    adv_g = generator_adversarial_loss(discriminators, student_maps)
    optimizers["student"].zero_grad(set_to_none=True)
    (mse + adv_weight * adv_g).backward()
    optimizers["student"].step()
    discriminators.requires_grad_(True)
    fake = {s: m.detach() for s, m in student_maps.items()}
    adv_d = discriminator_loss(discriminators, target_maps, fake)
    optimizers["discriminators"].zero_grad(set_to_none=True)
    adv_d.backward()
    optimizers["discriminators"].step()
    return {"mse": mse.item(), "adv_g": adv_g.item(), "adv_d": adv_d.item()}


def _restore(checkpoint_path, model, discriminators, optimizers, device):
    payload = load_checkpoint(checkpoint_path, size=model.config["size"], map_location=device)
    saved = payload["config"]
    for key in ("teachers", "input_size", "target_transform"):
        if list(saved[key]) != list(model.config[key]):
            raise ValueError(f"cannot resume from {checkpoint_path}: it was trained with {key} {saved[key]}, "
                             f"not {model.config[key]}; remove it or use a new output folder")
    model.load_state_dict(payload["model"])
    if payload["discriminators"] is not None:
        discriminators.load_state_dict(payload["discriminators"])
    for name, state in payload["optimizers"].items():
        if name in optimizers:
            optimizers[name].load_state_dict(state)
    return payload["epoch"], list(payload["log"])
