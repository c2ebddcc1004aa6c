"""Train the matching re-ranker and write it where matching reads it.

    python manage.py train_matching [--output FILE] [--nested]

Trains on the CT2021-2B train queries only (see claims/matching/training.py):
searches the settings by cross-validation grouped by debate, fits the chosen
model, calibrates it and its triage threshold, and reports the
cross-validated numbers. The dev queries are not read: ``evaluate_matching``
scores them. ``--nested`` also estimates MAP@5 on unseen debates by repeating
the search inside each fold (several minutes more) and records it in the
model. Deterministic: the same data gives the same file, so running it with
the defaults (and ``--nested``, as the committed model was made) reproduces
the committed claims/matching/model.json.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.matching import ranking
from claims.matching.training import REFERENCES_FILE, DataError, evaluate_offline, train

SHARED_DATA = settings.BASE_DIR.parent / "shared" / "data"
DEFAULT_MATCHING_DIR = SHARED_DATA / "matching" / "ct2021-2b"
DEFAULT_REFERENCES = SHARED_DATA / "claimreview" / REFERENCES_FILE


def add_data_arguments(parser) -> None:
    """The data options, shared with evaluate_matching."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_MATCHING_DIR,
        help="Folder with the CT2021-2B queries and qrels (default: %(default)s).",
    )
    parser.add_argument(
        "--references",
        type=Path,
        default=DEFAULT_REFERENCES,
        help="The fact-checks the qrels point at, as ClaimReview JSON lines (default: %(default)s).",
    )


class Command(BaseCommand):
    help = "Train the claim-matching re-ranker on the CLEF-2021 CheckThat! Task 2B train queries."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=ranking.MODEL_PATH,
            help="Model file to write (default: the committed model, %(default)s).",
        )
        parser.add_argument(
            "--nested", action="store_true", help="Also estimate MAP@5 on unseen debates by nested cross-validation."
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print each setting tried.")
        add_data_arguments(parser)

    def handle(self, *args, **options):
        started = time.perf_counter()
        data_dir, references = Path(options["data_dir"]), Path(options["references"])
        try:
            log = (lambda _: None) if options["quiet"] else self.stdout.write
            model = train(data_dir, references, log=log, nested=options["nested"])
            measured = evaluate_offline(model, data_dir, references, splits=("train",))
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        output = Path(options["output"])
        output.write_text(model.as_json())
        if output.resolve() == ranking.MODEL_PATH:
            ranking.forget_model()
        info = model.info
        settings = ", ".join(f"{k}={v}" for k, v in info["settings"].items())
        self.stdout.write(
            f"trained on {info['train_queries']} train queries against {info['references']:,} fact-checks "
            f"({settings}; relevant fact-check among the {model.candidates} candidates: "
            f"{info['candidate_recall_train']:.1%})"
        )
        cv = info["cross_validated_map5"]
        self.stdout.write(
            f"cross-validated MAP@5 ({info['folds']} folds grouped by debate): with dates {cv['dated']:.4f}, "
            f"without {cv['undated']:.4f}"
        )
        if "nested_cross_validated_map5" in info:
            nested = info["nested_cross_validated_map5"]
            self.stdout.write(
                f"nested cross-validated MAP@5 (unseen debates): with dates {nested['map5_dated']:.4f}, "
                f"without {nested['map5_undated']:.4f}"
            )
        calibrated = info["threshold_cv"]
        self.stdout.write(
            f"triage threshold {model.threshold}: {calibrated['precision']:.1%} of the best matches shown are right "
            f"(cross-validated), {calibrated['shown']:.1%} of queries shown"
        )
        for split, values in measured.items():
            self.stdout.write(
                f"{split}: MAP@1 {values['map@1']:.4f}  MAP@5 {values['map@5']:.4f}  "
                f"MRR {values['mrr']:.4f}  P@5 {values['p@5']:.4f}  (in memory, in-sample, {values['queries']} queries)"
            )
        self.stdout.write(f"wrote {output} in {time.perf_counter() - started:.1f} s")
