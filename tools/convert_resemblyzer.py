"""Convert Resemblyzer's GE2E speaker encoder (PyPI resemblyzer 0.1.4, Apache-2.0) to safetensors.

    pip download --no-deps resemblyzer==0.1.4 && unzip resemblyzer-0.1.4-*.whl 'resemblyzer/pretrained.pt'
    python tools/convert_resemblyzer.py resemblyzer/pretrained.pt src/unlock_feeling/models/assets/speaker_ge2e.safetensors

Only the model weights are kept (the checkpoint also holds optimizer state), stored as float16 to
halve the file (2.8 MB); they are widened to float32 when loaded. Needs torch; the weights are
read with weights_only=True (no arbitrary unpickling).
"""

import sys

import torch
from safetensors.torch import save_file

checkpoint = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
state = {k: v.contiguous().half() for k, v in checkpoint["model_state"].items() if k.startswith(("lstm.", "linear."))}
save_file(state, sys.argv[2], metadata={"source": "PyPI resemblyzer 0.1.4 resemblyzer/pretrained.pt",
                                        "license": "Apache-2.0", "model": "GE2E speaker encoder, 3x256 LSTM, 40 mels",
                                        "dtype": "float16"})
print(f"wrote {sys.argv[2]} ({len(state)} tensors)")
