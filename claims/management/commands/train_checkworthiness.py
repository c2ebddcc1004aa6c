"""Train the check-worthiness model and write it where the scorer reads it.

    python manage.py train_checkworthiness

Deterministic: the same data gives the same file, byte for byte, so running it
with the defaults reproduces the committed claims/extraction/checkworthiness.npz.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.extraction import checkworthiness
from claims.extraction.training import DataError, load_debates, train

DEFAULT_DATA_DIR = settings.BASE_DIR.parent / "shared" / "data" / "checkworthiness" / "clef2019-task1-train"


class Command(BaseCommand):
    help = "Train the check-worthiness scorer on CLEF-2019 CheckThat! Task 1 debates (TSV files)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DEFAULT_DATA_DIR,
            help="Folder of debate TSV files (default: %(default)s).",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=checkworthiness.MODEL_PATH,
            help="Model file to write (default: the committed model, %(default)s).",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            debates = load_debates(Path(options["data_dir"]))
            model = train(debates)
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        output = Path(options["output"])
        model.save(output)
        if output.resolve() == checkworthiness.MODEL_PATH:
            checkworthiness.forget_model()
        info = model.info
        inner = ", ".join(f"C={c}: {m:.4f}" for c, m in info["inner_cv_map"].items())
        self.stdout.write(
            f"trained on {len(debates)} debates ({info['sentences']:,} sentences, {info['check_worthy']:,} check-worthy)\n"
            f"C={info['c']} chosen by {info['inner_folds']}-fold cross-validation over debates (MAP {inner})\n"
            f"wrote {output} ({output.stat().st_size / 1024:.0f} KiB) in {time.perf_counter() - started:.1f} s"
        )
