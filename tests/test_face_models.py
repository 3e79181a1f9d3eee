"""The converted face-api expression net against outputs of the original tfjs runtime."""

import json
from pathlib import Path

import numpy as np
import skimage.data

from unlock_feeling.extract.face_expression import FaceApiExpression, tf_resize_bilinear
from unlock_feeling.models.registry import spec


def _crops() -> list[np.ndarray]:
    # must match how tests/data/faceapi_tfjs_reference.json was produced
    rng = np.random.default_rng(0)
    sources = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(),
               np.stack([skimage.data.camera()] * 3, -1), skimage.data.rocket()]
    crops = []
    for s in sources:
        for _ in range(3):
            y = rng.integers(0, s.shape[0] - 150)
            x = rng.integers(0, s.shape[1] - 130)
            crops.append(s[y:y + 150, x:x + 130])
    crops.append(rng.integers(0, 255, (150, 130, 3)).astype(np.uint8))
    return crops


def test_onnx_port_matches_tfjs():
    ref = json.loads((Path(__file__).parent / "data" / "faceapi_tfjs_reference.json").read_text())
    expected = np.array(ref["probabilities"])  # face-api's own label order
    model = FaceApiExpression()
    batch = np.stack([model.preprocess(c) for c in _crops()])
    ours = model._session.run(["probabilities"], {"input": batch})[0]
    assert ours.shape == expected.shape
    assert np.abs(ours - expected).max() < 1e-4
    # and the reordering into our labels keeps each model label with its probability
    reordered = model(_crops())
    labels = spec("faceapi-expression").labels
    assert np.allclose(reordered[:, 0], ours[:, labels.index("happy")])
    assert np.allclose(reordered[:, 4], ours[:, labels.index("disgusted")])


def test_tf_bilinear_resize_identity_and_scale():
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert np.allclose(tf_resize_bilinear(img, 4)[:, :, 0], img)
    down = tf_resize_bilinear(img, 2)[:, :, 0]
    assert np.allclose(down, img[::2, ::2])  # legacy TF: no half-pixel centres
