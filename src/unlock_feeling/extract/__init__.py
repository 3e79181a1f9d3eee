"""Extract stage: one extractor per modality (text, face, voice)."""
