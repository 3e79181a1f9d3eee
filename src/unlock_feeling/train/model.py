"""The fusion network (PyTorch). Inference uses fuse/model.FusionModel (numpy), not this module.

Each modality has an encoder (standardise → Linear → GELU → Dropout) and its own classifier head,
so the model gives per-modality probabilities too (that is where `voice_*` comes from). The fused
classifier reads the concatenated encodings (zeroed for a missing modality) plus presence flags.
"""

from __future__ import annotations

import torch
from torch import nn

from unlock_feeling.labels import LABELS, MODALITIES


class FusionNet(nn.Module):
    def __init__(self, dims: dict[str, int], hidden: int = 128, dropout: float = 0.3) -> None:
        super().__init__()
        self.dims = dict(dims)
        for m in MODALITIES:
            self.register_buffer(f"{m}_mean", torch.zeros(dims[m]))
            self.register_buffer(f"{m}_std", torch.ones(dims[m]))
        self.enc = nn.ModuleDict({m: nn.Sequential(nn.Linear(dims[m], hidden), nn.GELU(), nn.Dropout(dropout))
                                  for m in MODALITIES})
        self.head = nn.ModuleDict({m: nn.Linear(hidden, len(LABELS)) for m in MODALITIES})
        self.fuse = nn.Sequential(nn.Linear(hidden * len(MODALITIES) + len(MODALITIES), hidden), nn.GELU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, len(LABELS)))

    def forward(self, x: dict[str, torch.Tensor], mask: dict[str, torch.Tensor]
                ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        encoded, per_modality = [], {}
        for m in MODALITIES:
            z = (x[m] - getattr(self, f"{m}_mean")) / getattr(self, f"{m}_std")
            h = self.enc[m](z) * mask[m].unsqueeze(1)
            per_modality[m] = self.head[m](h)
            encoded.append(h)
        flags = torch.stack([mask[m] for m in MODALITIES], dim=1)
        return self.fuse(torch.cat(encoded + [flags], dim=1)), per_modality
