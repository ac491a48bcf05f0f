"""Fixtures shared by several test modules. Add yours below; keep each one's scope and cost stated."""
import pytest

TINY_SCENE = dict(seed=0, train_videos=2, test_videos=1, frames=40, size=(80, 120))
"""A tiny synthetic scene; its frames are already at the default student's input size (80x120)."""
TINY_TEACHERS = ("density", "autoencoder")


@pytest.fixture(autouse=True, scope="session")
def runtime_cache(tmp_path_factory):
    """The runtime choices and exported ONNX files go to a fresh folder of the session, never ~/.cache (free)."""
    import os

    folder = tmp_path_factory.mktemp("fastaed_cache")
    previous = os.environ.get("FASTAED_CACHE_DIR")
    os.environ["FASTAED_CACHE_DIR"] = str(folder)  # subprocesses of the tests inherit it
    yield folder
    if previous is None:
        os.environ.pop("FASTAED_CACHE_DIR", None)
    else:
        os.environ["FASTAED_CACHE_DIR"] = previous


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for a module: tiny tensors run faster so, far faster on shared cores."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_scene(tmp_path_factory):
    """The tiny synthetic dataset of :data:`TINY_SCENE` (about 1 s). Read only."""
    from pipeline.synthetic import write_synthetic

    root = tmp_path_factory.mktemp("tiny_scene") / "synthetic"
    write_synthetic(root, progress=False, **TINY_SCENE)
    return root


@pytest.fixture(scope="session")
def tiny_options():
    """The precomputation options of :func:`tiny_shards` (free)."""
    from pipeline.precompute import PrecomputeOptions

    return PrecomputeOptions(frame_size=TINY_SCENE["size"], teachers=TINY_TEACHERS,
                             teacher_options={"autoencoder": {"steps": 10}}, folds=2,
                             pseudo_anomalies=("skip4", "patch"))


@pytest.fixture(scope="session")
def tiny_shards(tiny_scene, tiny_options, tmp_path_factory):
    """Real shards of :func:`tiny_scene` from the real precomputation with one worker process:
    teachers density and autoencoder (10 training steps), 2 folds, pseudo-anomaly clips skip4 and
    patch, 80x120 frames, 10x15 maps (about 30-45 s on a busy 2-core machine, once per session).
    Read only: copy the folder before changing anything in it."""
    from pipeline.precompute import precompute_teachers

    out = tmp_path_factory.mktemp("tiny_shards") / "shards"
    precompute_teachers(tiny_scene, out, tiny_options, workers=1, progress=False)
    return out
