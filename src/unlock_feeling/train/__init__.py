"""Train stage: a fusion network on features from the store (PyTorch, CPU), and its checkpoints."""
