"""Leave-debates-out cross-validation of the check-worthiness training procedure.

    python manage.py evaluate_checkworthiness [--folds N] [--format json]

Each debate in turn is held out; the model is trained on the others exactly as
train_checkworthiness does (including its choice of C, made on those others
only) and ranks the held-out debate's sentences. Reports average precision
and precision at 10 per debate, and their means (MAP is the CheckThat! measure).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.extraction.training import DataError, cross_validate, load_debates

from .train_checkworthiness import add_data_arguments, extra_positives


class Command(BaseCommand):
    help = "Cross-validate the check-worthiness scorer, holding out one debate at a time; print AP and P@10."

    def add_arguments(self, parser):
        parser.add_argument(
            "--folds",
            type=int,
            metavar="N",
            help="Hold out only N debates, spread evenly over the file-name order (default: every debate).",
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
        add_data_arguments(parser)

    def handle(self, *args, **options):
        if options["folds"] is not None and options["folds"] < 1:
            raise CommandError("--folds must be at least 1.")
        started = time.perf_counter()
        try:
            debates = load_debates(Path(options["data_dir"]))
            extra = extra_positives(self, options)
            result = cross_validate(
                debates, extra, folds=options["folds"], extra_weight=options["extra_weight"]
            ).as_dict()
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        result["seconds"] = round(time.perf_counter() - started, 1)
        if options["format"] == "json":
            self.stdout.write(json.dumps(result, indent=2))
            return
        width = max(len(fold["debate"]) for fold in result["folds"])
        self.stdout.write(f"{'debate':<{width}}  sentences  check-worthy    C      AP   P@10")
        for fold in result["folds"]:
            self.stdout.write(
                f"{fold['debate']:<{width}}  {fold['sentences']:>9}  {fold['check_worthy']:>12}  {fold['c']:>3}  "
                f"{fold['average_precision']:.4f}  {fold['precision_at_10']:.2f}"
            )
        overall = result["overall"]
        self.stdout.write(
            f"overall ({overall['debates']} debates): MAP {overall['map']:.4f}  P@10 {overall['p_at_10']:.4f}  "
            f"AP range {overall['min_ap']:.4f}-{overall['max_ap']:.4f}  ({result['seconds']} s)"
        )
