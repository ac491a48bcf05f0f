"""Temporal jigsaw teacher (after Wang et al., Jigsaw-VAD, ECCV 2022): order the frames of an object cube.

Per object a cube of `length` square crops around its box at frame t, taken from frames
`stride` apart and centred on t (shifted inwards at the ends of the video). During fitting the
frames of normal cubes are shuffled and a small network learns, for each shuffled frame, which
position it came from. It learns how normal objects move and look from one frame to the next:
a person's gait, the way walkers drift across their box. A cube it cannot put back in order (its
frames shown in the true order, and the network unsure where one of them belongs) is unusual:
the raw score is 1 - min over positions of the probability of the correct position, as in the
paper. It is calibrated on normal objects of training videos held out from training.
"""

import contextlib
import itertools

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from teachers.base import Teacher, as_feature_list, held_out_folds, register_teacher
from teachers.boxes import check_boxes, indices_by_frame
from teachers.calibration import RobustCalibration
from teachers.crops import square_crop
from teachers.frames import sliding_windows


class PositionClassifier(nn.Module):
    """Early-fusion CNN: the `length` frames of a cube as input channels, three stride-2
    convolutions, then for each input frame `length` logits over its original position.

    Example:
        >>> PositionClassifier(5)(torch.zeros(2, 5, 32, 32)).shape
        torch.Size([2, 5, 5])
    """

    def __init__(self, length, size=32, width=32):
        super().__init__()
        self.length = length
        self.features = nn.Sequential(
            nn.Conv2d(length, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
        )
        self.head = nn.Linear(2 * width * (size // 8) ** 2, length * length)

    def forward(self, cubes):
        """(B, length, length) logits: [b, i, j] for "input frame i was at position j".

        Example:
            >>> PositionClassifier(3, size=16)(torch.rand(4, 3, 16, 16)).shape
            torch.Size([4, 3, 3])
        """
        return self.head(self.features(cubes)).view(-1, self.length, self.length)


@register_teacher("jigsaw")
class JigsawTeacher(Teacher):
    """Calibrated confusion of a network that orders the shuffled frames of normal object cubes.

    Features are (N, length, size, size) uint8 cubes. `context` widens the crop by that fraction
    of its side on each side (the box of frame t is used for every frame of the cube, so the object
    moves inside it). Training runs `steps` Adam steps of `batch_size` cubes, each shuffled by a
    random permutation, seeded; on a GPU when torch sees one, else on CPU with `threads` threads
    (restored after; None leaves it as it is).

    Example:
        >>> teacher = JigsawTeacher(steps=300)
        >>> feats = teacher.features(frames, boxes)  # doctest: +SKIP
        >>> scores = teacher.fit([feats]).score(feats)  # doctest: +SKIP
    """

    def __init__(
        self,
        length=5,
        stride=2,
        size=32,
        context=0.25,
        steps=1000,
        batch_size=64,
        learning_rate=1e-3,
        width=32,
        calibration_folds=5,
        quantile=0.95,
        threads=1,
        seed=0,
    ):
        if not 2 <= int(length) <= 9:
            raise ValueError(f"jigsaw cube length {length} must be between 2 and 9 frames: pass e.g. 5")
        if int(stride) < 1:
            raise ValueError(f"jigsaw stride {stride} must be at least 1 frame")
        if size % 8 != 0:
            raise ValueError(f"jigsaw crop size {size} must be a multiple of 8: pass e.g. 32")
        self.options = {
            "length": int(length),
            "stride": int(stride),
            "size": int(size),
            "context": float(context),
            "steps": int(steps),
            "batch_size": int(batch_size),
            "learning_rate": float(learning_rate),
            "width": int(width),
            "calibration_folds": int(calibration_folds),
            "quantile": float(quantile),
            "threads": None if threads is None else int(threads),
            "seed": int(seed),
        }
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def features(self, frames, boxes):
        """(N, length, size, size) uint8 cubes of the N boxes of one video.

        Example:
            >>> JigsawTeacher().features(np.zeros((12, 20, 20), np.uint8), [[6, 1, 1, 9, 9, 1]]).shape
            (1, 5, 32, 32)
        """
        boxes = check_boxes(boxes)
        length, stride, size = self.options["length"], self.options["stride"], self.options["size"]
        cubes = np.zeros((len(boxes), length, size, size), np.uint8)
        if len(boxes) == 0:
            return cubes
        span = stride * (length - 1)
        rows_of_frame = indices_by_frame(boxes, len(frames))
        # A window of radius `span` holds every frame of a cube centred on t or shifted inwards.
        for t, window in sliding_windows(frames, span):
            rows = rows_of_frame[t]
            if len(rows) == 0:
                continue
            start = min(max(t - span // 2, 0), max(len(frames) - 1 - span, 0))
            picked = [window[min(start + stride * j, len(frames) - 1) - t + span] for j in range(length)]
            for row in rows:
                cubes[row] = [square_crop(frame, boxes[row, 1:5], size, self.options["context"]) for frame in picked]
        return cubes

    def fit(self, feature_arrays):
        """Train on normal cubes of most training videos, calibrate on the held-out rest; returns self.

        Example:
            >>> cubes = np.random.default_rng(0).integers(0, 60, (4, 30, 5, 32, 32)).astype(np.uint8)
            >>> JigsawTeacher(steps=5).fit(list(cubes)).is_fitted
            True
        """
        arrays = as_feature_list(feature_arrays)
        for array in arrays:
            self._check_features(array)
        features = np.concatenate(arrays)
        train, held_out = held_out_folds([len(a) for a in arrays], self.options["calibration_folds"])[0]
        with self._torch_settings():
            self.network = self._train(features[train])
            raw = self._raw_scores(features[held_out])
        self.calibration = RobustCalibration.fit(raw, self.options["quantile"])
        self._fitted = True
        return self

    def score(self, features):
        """(N,) float32 calibrated scores.

        Example:
            >>> teacher.score(teacher.features(frames, boxes))  # doctest: +SKIP
        """
        self._require_fitted()
        features = self._check_features(np.asarray(features))
        if len(features) == 0:
            return np.zeros(0, np.float32)
        with self._torch_settings():
            return self.calibration(self._raw_scores(features))

    def _train(self, cubes):
        options = self.options
        length = options["length"]
        network = PositionClassifier(length, options["size"], options["width"]).to(self.device)
        optimizer = torch.optim.Adam(network.parameters(), lr=options["learning_rate"])
        sampler = np.random.default_rng(options["seed"])
        permutations = np.array(list(itertools.permutations(range(length))))
        batch_size = min(options["batch_size"], len(cubes))
        network.train()
        for _ in tqdm(range(options["steps"]), desc="jigsaw fit", unit="step", leave=False, disable=None):
            batch = cubes[sampler.integers(0, len(cubes), batch_size)]
            # order[b, i] = the original position of the frame shown at input position i.
            order = permutations[sampler.integers(0, len(permutations), batch_size)]
            shuffled = np.take_along_axis(batch, order[:, :, None, None], axis=1)
            logits = network(self._tensor(shuffled))
            target = torch.from_numpy(order).to(self.device)
            loss = nn.functional.cross_entropy(logits.reshape(-1, length), target.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return network.eval()

    def _raw_scores(self, cubes, batch_size=512):
        scores = []
        with torch.inference_mode():
            for start in range(0, len(cubes), batch_size):
                probabilities = torch.softmax(self.network(self._tensor(cubes[start:start + batch_size])), dim=2)
                correct = torch.diagonal(probabilities, dim1=1, dim2=2)
                scores.append((1 - correct.min(dim=1).values).cpu().numpy())
        return np.concatenate(scores).astype(np.float64)

    def _tensor(self, cubes):
        return torch.from_numpy(np.ascontiguousarray(cubes)).to(self.device).float().div_(255)

    @contextlib.contextmanager
    def _torch_settings(self):
        threads = self.options["threads"]
        previous = torch.get_num_threads()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.options["seed"])
            if threads is not None:
                torch.set_num_threads(threads)
            try:
                yield
            finally:
                torch.set_num_threads(previous)

    def _check_features(self, features):
        length, size = self.options["length"], self.options["size"]
        if features.ndim != 4 or features.shape[1:] != (length, size, size):
            raise ValueError(
                f"jigsaw features have shape {features.shape}, expected (N, {length}, {size}, {size}): "
                "compute them with features() of a teacher with the same options"
            )
        return features

    def _fitted_state(self):
        state = self.calibration.state_dict("calibration")
        for key, tensor in self.network.state_dict().items():
            state[f"network.{key}"] = tensor.detach().cpu().numpy().copy()
        return state

    def _load_fitted_state(self, state):
        self.calibration = RobustCalibration.from_state(state, "calibration")
        options = self.options
        network = PositionClassifier(options["length"], options["size"], options["width"])
        weights = {key[len("network."):]: torch.from_numpy(np.asarray(value))
                   for key, value in state.items() if key.startswith("network.")}
        try:
            network.load_state_dict(weights)
        except RuntimeError as error:
            raise ValueError(f"saved jigsaw network does not match the options: {error}") from None
        self.network = network.to(self.device).eval()
