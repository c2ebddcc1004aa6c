"""Measure claim matching, through the database, and print the protocol's numbers.

    python manage.py evaluate_matching [--no-date] [--format json]

Prints, in this order:

1. the protocol's numbers, as ``train_matching`` recorded them in the model
   (``claims/matching/model.json``): the settings chosen by cross-validation on
   the CT2021-2B train queries grouped by debate, the cross-validated MAP@5
   (with and without the debates' dates; nested, when recorded), and the
   triage threshold with the precision of the matches it shows;
2. the dev queries, scored here and never used to choose anything: MAP@1,
   MAP@5, MRR (over the first ``DEPTH`` results) and P@5, and at the threshold
   the share of queries whose best match is shown and how many of those are right;
3. the train queries the same way (the model was fitted on them: in-sample);
4. the rewording suite (``tests/data/rewording_pairs.tsv``): how many reworded
   claims rank their fact-check first, and how many are also shown at triage.

Imports the PolitiFact fact-checks the qrels point at (unless they are already
imported), then matches every query with ``claims.matching.match`` exactly as
the public API does. Each query carries the date of its debate (from its id)
unless ``--no-date``; the reworded claims carry none.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from claims.matching import backends, match, ranking
from claims.matching.imports import ImportedReview, InputError, import_reviews, read_reviews
from claims.matching.training import (
    REWORDING_SUITE,
    DataError,
    debate_date,
    load_dataset,
    load_rewordings,
    measures,
    rewording_first_rank,
)
from claims.matching.triage import min_score
from claims.models import ExternalReview

from .train_matching import add_data_arguments

DEPTH = 10


def ensure_imported(references: Path) -> int:
    """Import the reference file unless every review in it is stored; returns how many were created."""
    try:
        reviews = [r for r in read_reviews(references) if isinstance(r, ImportedReview)]
    except InputError as exc:
        raise DataError(str(exc)) from None
    urls = [r.url for r in reviews]
    stored = sum(ExternalReview.objects.filter(url__in=urls[i : i + 1000]).count() for i in range(0, len(urls), 1000))
    if stored >= len(set(urls)):
        return 0
    return import_reviews(reviews).created


def shown_at(found: dict[str, list], relevant: dict[str, set[str]], threshold: float) -> dict[str, float]:
    """At the threshold: the share of queries whose best match is shown, and how many of those are right."""
    shown = [qid for qid, matches in found.items() if matches and matches[0].score >= threshold]
    right = [qid for qid in shown if _key(found[qid][0]) in relevant[qid]]
    return {
        "threshold": round(threshold, 4),
        "shown": len(shown) / len(found) if found else 0.0,
        "precision": len(right) / len(shown) if shown else 0.0,
    }


def _key(m) -> str:
    return m.identifier or f"{m.kind}:{m.id}"


class Command(BaseCommand):
    help = (
        "Print the matching protocol's numbers: cross-validated train MAP@5, dev scored once, "
        "the triage threshold's precision and the rewording suite."
    )

    def add_arguments(self, parser):
        add_data_arguments(parser)
        parser.add_argument("--no-date", action="store_true", help="Match without the debates' dates.")
        parser.add_argument(
            "--rewordings", type=Path, default=REWORDING_SUITE, help="The rewording suite (default: %(default)s)."
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            dataset = load_dataset(Path(options["data_dir"]))
            rewordings = load_rewordings(Path(options["rewordings"]))
            created = ensure_imported(Path(options["references"]))
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        if connection.vendor == "postgresql":
            # Matching reads document frequencies from the planner's statistics.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE claims_externalreview, claims_claim")
            backends.forget_stats()
        model = ranking.default_model()
        threshold = min_score()
        report = {
            "imported": created,
            "with_date": not options["no_date"],
            "database": connection.vendor,
            "protocol": {
                key: model.info[key]
                for key in ("settings", "cross_validated_map5", "nested_cross_validated_map5", "threshold_cv", "folds")
                if key in model.info
            },
        }
        for split in ("dev", "train"):
            split_started = time.perf_counter()
            found, relevant = {}, {}
            for qid, text, rel in dataset.split(split):
                found[qid] = match(text, top=DEPTH, date=None if options["no_date"] else debate_date(qid))
                relevant[qid] = rel
            rankings = {qid: [_key(m) for m in matches] for qid, matches in found.items()}
            report[split] = (
                measures(rankings, relevant)
                | {"at_threshold": shown_at(found, relevant, threshold)}
                | {"seconds": round(time.perf_counter() - split_started, 1)}
            )
        best = {text: match(text, top=DEPTH) for _, text in rewordings}
        suite = rewording_first_rank(lambda text: [_key(m) for m in best[text]], rewordings)
        shown = [
            identifier
            for identifier, text in rewordings
            if best[text] and _key(best[text][0]) == identifier and best[text][0].score >= threshold
        ]
        suite["shown"] = len(shown) / len(rewordings)
        report["rewording"] = suite
        report["seconds"] = round(time.perf_counter() - started, 1)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report))
            return
        self.write_text(report, model, threshold)

    def write_text(self, report: dict, model: ranking.Model, threshold: float) -> None:
        write = self.stdout.write
        created = report["imported"]
        write(
            f"{'imported ' + format(created, ',') + ' fact-checks' if created else 'fact-checks already imported'}; "
            f"matching on {report['database']}, {'with' if report['with_date'] else 'without'} the debates' dates"
        )
        protocol = report["protocol"]
        if "cross_validated_map5" in protocol:
            cv = protocol["cross_validated_map5"]
            settings = ", ".join(f"{k}={v}" for k, v in protocol["settings"].items())
            write(
                f"protocol: settings chosen by {protocol['folds']}-fold cross-validation on the "
                f"{model.info['train_queries']} train queries grouped by debate: {settings}"
            )
            line = f"  cross-validated train MAP@5: with dates {cv['dated']:.4f}, without {cv['undated']:.4f}"
            nested = protocol.get("nested_cross_validated_map5")
            if nested:
                line += f"; nested (search inside each fold): {nested['map5_dated']:.4f}, {nested['map5_undated']:.4f}"
            write(line)
            calibrated = protocol["threshold_cv"]
            write(
                f"  triage threshold {model.threshold}: shown matches right {calibrated['precision']:.1%} "
                f"(cross-validated, target {calibrated['target_precision']:.0%}), "
                f"{calibrated['shown']:.1%} of queries shown"
            )
        else:
            write("protocol: this model records no cross-validation (trained before issue 20)")
        for split, label in (("dev", "scored once, never used to choose"), ("train", "in-sample: trained on")):
            values = report[split]
            at = values["at_threshold"]
            write(
                f"{split} ({values['queries']} queries, {label}): MAP@1 {values['map@1']:.4f}  "
                f"MAP@5 {values['map@5']:.4f}  MRR {values['mrr']:.4f}  P@5 {values['p@5']:.4f}  "
                f"({values['seconds']} s)"
            )
            write(
                f"  at score {threshold:.4f}: {at['shown']:.1%} of queries shown, {at['precision']:.1%} of those right"
            )
        suite = report["rewording"]
        write(
            f"rewording suite: {suite['first']:.1%} of {suite['pairs']} reworded claims rank their fact-check first "
            f"({suite['top5']:.1%} in the first five; {suite['shown']:.1%} first and shown at triage)"
        )
