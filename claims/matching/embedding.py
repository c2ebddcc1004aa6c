"""Sentence embeddings for the optional semantic backend: a model the operator
installed in a local directory, loaded once per process. No database.

Two kinds of directory are read:

- a Model2Vec static model (``config.json``, ``model.safetensors``,
  ``tokenizer.json``; PyPI ``model2vec``, numpy only): a sentence is the mean
  of its tokens' vectors, thousands of sentences a second on one core;
- a sentence-transformers model (a ``config.json`` naming a transformer
  architecture), when ``sentence_transformers`` is installed: slower, on the CPU.

Nothing is ever downloaded: the path must be a directory that exists (both
libraries would otherwise take the name for a model on the Hugging Face hub),
and the hub's libraries are put offline before they are imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# Encoding this sentence (and the files' sizes) tells two models apart: the fingerprint
# is part of every stored row's digest, so a model replaced in the same directory makes
# every row stale.
FINGERPRINT_PROBE = "Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years."
ENCODE_BATCH = 256


class EmbeddingModelError(Exception):
    """The configured model cannot be used; the message says why and what to do."""


@dataclass
class Embedder:
    path: Path
    library: str  # "model2vec" or "sentence-transformers"
    dimensions: int
    fingerprint: str = ""
    _model: Any = field(default=None, repr=False)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit-length float32 row per text; a text the model knows no token of is all zeros."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        if self.library == "model2vec":
            vectors = self._model.encode(texts, batch_size=ENCODE_BATCH, show_progress_bar=False)
        else:
            vectors = self._model.encode(texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _offline() -> None:
    # Read by huggingface_hub when first imported; set before either library imports it.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _is_transformer(path: Path) -> bool:
    # sentence-transformers' own files say so; a Model2Vec model's config.json names an
    # architecture and a model type too ("StaticModel", "model2vec", as model2vec's
    # distillation writes them), so those alone do not.
    if (path / "modules.json").is_file() or (path / "config_sentence_transformers.json").is_file():
        return True
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(config, dict) or config.get("model_type") == "model2vec":
        return False
    return bool(config.get("architectures") or config.get("model_type"))


def _load_model2vec(path: Path) -> Embedder:
    missing = [name for name in ("config.json", "model.safetensors", "tokenizer.json") if not (path / name).is_file()]
    if missing:
        raise EmbeddingModelError(
            f"{path} is not a Model2Vec model directory: {', '.join(missing)} missing "
            "(expected config.json, model.safetensors and tokenizer.json, as StaticModel.save_pretrained writes them)."
        )
    try:
        from model2vec import StaticModel
    except ImportError:
        raise EmbeddingModelError(
            f"{path} is a Model2Vec model, but the model2vec package is not installed: "
            "pip install -r requirements-semantic.txt"
        ) from None
    try:
        model = StaticModel.from_pretrained(str(path), normalize=True)
    except Exception as exc:  # noqa: BLE001 (any failure of a third-party loader is the same answer)
        raise EmbeddingModelError(f"{path}: the Model2Vec model could not be loaded: {exc}") from None
    return Embedder(path=path, library="model2vec", dimensions=int(model.dim), _model=model)


def _load_sentence_transformers(path: Path) -> Embedder:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise EmbeddingModelError(
            f"{path} holds a transformer model, which needs the sentence-transformers package "
            "(pip install sentence-transformers); or install a Model2Vec model instead."
        ) from None
    try:
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001
        raise EmbeddingModelError(f"{path}: the sentence-transformers model could not be loaded: {exc}") from None
    # Renamed get_embedding_dimension in sentence-transformers 6 (the old name warns, and will go).
    size = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dimensions = size()
    if not dimensions:
        raise EmbeddingModelError(f"{path}: the model does not say the size of its embeddings.")
    return Embedder(path=path, library="sentence-transformers", dimensions=int(dimensions), _model=model)


def load(path: str | os.PathLike) -> Embedder:
    """The model in ``path`` (a local directory), ready to encode; ``EmbeddingModelError`` says why not."""
    path = Path(path).expanduser()
    if not path.is_absolute():
        raise EmbeddingModelError(f"{path}: give the model's directory as an absolute path.")
    if not path.is_dir():
        raise EmbeddingModelError(f"{path}: no such directory (install the model there first; nothing is downloaded).")
    _offline()
    embedder = _load_sentence_transformers(path) if _is_transformer(path) else _load_model2vec(path)
    probe = embedder.encode([FINGERPRINT_PROBE])[0]
    if not np.isfinite(probe).all():
        raise EmbeddingModelError(f"{path}: the model gives vectors that are not numbers (NaN or infinite).")
    digest = hashlib.sha256(f"{embedder.library}:{embedder.dimensions}:".encode())
    digest.update(np.round(probe, 5).astype("<f4").tobytes())
    # The files' names and sizes too: a model that knows no word of the probe is still told apart.
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path)}:{file.stat().st_size};".encode())
    embedder.fingerprint = digest.hexdigest()[:16]
    return embedder


_loaded: dict[str, Embedder | EmbeddingModelError] = {}
_lock = threading.Lock()


def cached(path: str) -> Embedder:
    """``load(path)`` once per process (a failure is remembered too, so a broken
    model is not reloaded on every request)."""
    with _lock:
        if path not in _loaded:
            try:
                _loaded[path] = load(path)
            except EmbeddingModelError as exc:
                _loaded[path] = exc
        result = _loaded[path]
    if isinstance(result, EmbeddingModelError):
        raise result
    return result


def forget() -> None:
    """Drop the loaded models (tests; after replacing a model without restarting)."""
    with _lock:
        _loaded.clear()
