"""Train the check-worthiness model and write it where the scorer reads it.

    python manage.py train_checkworthiness

Deterministic: the same data gives the same file, byte for byte, so running it
with the defaults reproduces the committed claims/extraction/checkworthiness.npz.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.extraction import checkworthiness
from claims.extraction.training import (
    EXTRA_POSITIVES,
    EXTRA_WEIGHT,
    DataError,
    StaticEmbedding,
    load_debates,
    load_extra_positives,
    train,
)

DEFAULT_DATA_DIR = settings.BASE_DIR.parent / "shared" / "data" / "checkworthiness" / "clef2019-task1-train"
CLAIMREVIEW_DIR = settings.BASE_DIR.parent / "shared" / "data" / "claimreview"
# Made by `make checkworthiness-embedding` (claims/extraction/distill.py); not in the repository.
DEFAULT_EMBEDDING_DIR = Path(
    os.environ.get("FACTCHECK_CHECKWORTHINESS_EMBEDDING") or settings.BASE_DIR / ".cache" / "checkworthiness-embedding"
)


def add_data_arguments(parser) -> None:
    """The training data options, shared with evaluate_checkworthiness."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="Folder of debate TSV files (default: %(default)s).",
    )
    parser.add_argument(
        "--claimreview-dir",
        type=Path,
        metavar="DIR",
        help=(
            "Also train on a fixed sample of fact-checked claims from this ClaimReview folder, as extra "
            f"check-worthy examples (off by default; the shared copy is {CLAIMREVIEW_DIR})."
        ),
    )
    parser.add_argument(
        "--embedding-model",
        type=Path,
        default=DEFAULT_EMBEDDING_DIR,
        metavar="DIR",
        help="The static embedding model (Model2Vec directory) of the embedding view "
        "(default: %(default)s, made by `make checkworthiness-embedding`).",
    )
    parser.add_argument("--extra-positives", type=int, default=EXTRA_POSITIVES, metavar="N")
    parser.add_argument("--extra-weight", type=float, default=EXTRA_WEIGHT, metavar="W")


def static_embedding(options: dict) -> StaticEmbedding:
    """The embedding model the options name (DataError, saying how to make it, when it is absent)."""
    return StaticEmbedding(Path(options["embedding_model"]))


def extra_positives(command: BaseCommand, options: dict) -> list[str]:
    """The extra positives the options ask for; none, with a message, when the folder is absent."""
    folder = options.get("claimreview_dir")
    if folder is None:
        return []
    if not Path(folder).is_dir():
        command.stderr.write(f"{folder} not found: training on the debates only, without extra positives")
        return []
    return load_extra_positives(Path(folder), options["extra_positives"])


class Command(BaseCommand):
    help = "Train the check-worthiness scorer on CLEF-2019 CheckThat! Task 1 debates (TSV files)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=checkworthiness.MODEL_PATH,
            help="Model file to write (default: the committed model, %(default)s).",
        )
        add_data_arguments(parser)

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            debates = load_debates(Path(options["data_dir"]))
            extra = extra_positives(self, options)
            # Every debate, the dev ones included: they were scored once, with the
            # procedure trained without them (evaluate_checkworthiness); the shipped
            # model learns from all the data there is.
            model = train(debates, extra, embedding=static_embedding(options), extra_weight=options["extra_weight"])
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        output = Path(options["output"])
        model.save(output)
        if output.resolve() == checkworthiness.MODEL_PATH:
            checkworthiness.forget_model()
        info = model.info
        inner = "; ".join(
            f"{view}: " + ", ".join(f"C={c}: {m:.4f}" for c, m in maps.items())
            for view, maps in info["inner_cv_map"].items()
        )
        self.stdout.write(
            f"trained on {len(debates)} debates ({info['sentences']:,} sentences, {info['check_worthy']:,} check-worthy)"
            + (f" and {len(extra):,} extra check-worthy claims\n" if extra else "\n")
            + f"C embeddings={info['c']['embeddings']}, cues={info['c']['cues']} chosen by {info['inner_folds']}-fold "
            f"cross-validation over debates (MAP {inner})\n"
            f"general scorer: C={model.general.info['c']}\n"
            f"wrote {output} ({output.stat().st_size / 1024:.0f} KiB) in {time.perf_counter() - started:.1f} s"
        )
