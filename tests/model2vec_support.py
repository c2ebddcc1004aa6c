"""A Model2Vec model directory written by hand, as ``StaticModel.save_pretrained`` writes
one: the semantic backend's tests and its timing bench make their models with it, so
nothing is ever downloaded."""

from __future__ import annotations

import json
from pathlib import Path


def write_model2vec(directory: Path, vocabulary: dict[str, int], vectors) -> Path:
    """A lower-cased, whitespace-split word-level tokenizer over ``vocabulary`` (with
    ``[UNK]``) and one row of ``vectors`` (float32) per token."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel(vocab=vocabulary, unk_token="[UNK]"))  # noqa: S106 (a token, not a password)
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(directory / "tokenizer.json"))
    save_file({"embeddings": vectors}, str(directory / "model.safetensors"))
    (directory / "config.json").write_text(json.dumps({"normalize": True}))
    return directory
