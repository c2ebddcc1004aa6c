"""The check-worthiness protocol's numbers: cross-validation on the training
debates, then the dev debates once.

    python manage.py evaluate_checkworthiness [--folds N] [--format json] [--compare]

1. training CV: each training debate in turn is held out; the model is trained
   on the others exactly as train_checkworthiness trains it (every choice, C
   included, made on those others only) and ranks the held-out debate's sentences;
2. dev: the procedure trained on all the training debates ranks each dev debate
   (training.DEV_DEBATES, fixed by a rule before any experiment; nothing was
   ever chosen by looking at them).

Reports average precision and precision at 10 per debate and their means (MAP
is the CheckThat! measure). --compare runs the grouped cross-validation of the
candidate models the shipped one was chosen among (training debates only).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.extraction.training import DataError, cross_validate, evaluate_dev, load_debates, split_dev

from .train_checkworthiness import add_data_arguments, extra_positives, static_embedding


class Command(BaseCommand):
    help = "The protocol's numbers: leave-one-debate-out CV on the training debates, then the dev debates once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--folds",
            type=int,
            metavar="N",
            help="Hold out only N training debates, spread evenly over the file-name order (default: every one).",
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--compare",
            action="store_true",
            help="Also cross-validate the candidate models the shipped one was chosen among (slow).",
        )
        add_data_arguments(parser)

    def handle(self, *args, **options):
        if options["folds"] is not None and options["folds"] < 1:
            raise CommandError("--folds must be at least 1.")
        started = time.perf_counter()
        try:
            training, dev = split_dev(load_debates(Path(options["data_dir"])))
            extra = extra_positives(self, options)
            kwargs = {"extra_weight": options["extra_weight"], "embedding": static_embedding(options)}
            result = {
                "protocol": "leave-one-debate-out CV on the training debates; dev debates scored once",
                "training_cv": cross_validate(training, extra, folds=options["folds"], **kwargs).as_dict(),
                "dev": evaluate_dev(training, dev, extra, **kwargs).as_dict() if dev else None,
            }
            if options["compare"]:
                from claims.extraction.training import compare_candidates

                result["candidates"] = compare_candidates(training)
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        result["seconds"] = round(time.perf_counter() - started, 1)
        if options["format"] == "json":
            self.stdout.write(json.dumps(result, indent=2))
            return
        for title, part in (("training debates, each held out in turn", "training_cv"), ("dev debates, once", "dev")):
            if result[part] is None:
                continue
            self._table(title, result[part])
        if options["compare"]:
            self.stdout.write("candidates (leave-one-debate-out on the training debates, nested choice of C):")
            for name, figures in result["candidates"].items():
                self.stdout.write(f"  {name:<48} MAP {figures['map']:.4f} ± {figures['sd']:.4f}")
        self.stdout.write(f"({result['seconds']} s)")

    def _table(self, title: str, figures: dict) -> None:
        width = max(len(fold["debate"]) for fold in figures["folds"])
        self.stdout.write(f"{title}:")
        self.stdout.write(f"{'debate':<{width}}  sentences  check-worthy  C embeddings/cues      AP   P@10")
        for fold in figures["folds"]:
            self.stdout.write(
                f"{fold['debate']:<{width}}  {fold['sentences']:>9}  {fold['check_worthy']:>12}  {fold['c']:>18}  "
                f"{fold['average_precision']:.4f}  {fold['precision_at_10']:.2f}"
            )
        overall = figures["overall"]
        self.stdout.write(
            f"overall ({overall['debates']} debates): MAP {overall['map']:.4f} ± {overall['map_sd']:.4f}  "
            f"P@10 {overall['p_at_10']:.4f}  AP range {overall['min_ap']:.4f}-{overall['max_ap']:.4f}"
        )
