"""The rewording suite: a claim said again in other words (same numbers, same actors)
must rank the fact-check it repeats first among all 19,250 PolitiFact fact-checks.

The pairs (``tests/data/rewording_pairs.tsv``) were written by hand from the
PolitiFact corpus before any setting was tuned, and are never trained or tuned on.
The rate asserted is the model card's, less a margin; ``evaluate_matching``
measures the same suite through the database.
"""

from __future__ import annotations

import json
import re

from claims.matching import ranking, text
from claims.matching.training import REWORDING_SUITE, evaluate_rewordings_offline, load_rewordings

# The model card's figure for the committed model (in memory; the same through the database).
REPORTED_FIRST_RANK = 0.973
MARGIN = 0.04

CORPUS = ("claimreview", "politifact-ct2021-2b.claimreview.jsonl")


def test_the_suite_has_fifty_distinct_rewordings_or_more():
    pairs = load_rewordings(REWORDING_SUITE)
    assert len(pairs) >= 50
    assert len({identifier for identifier, _ in pairs}) == len(pairs)


def test_each_rewording_keeps_its_fact_checks_numbers_in_other_words(shared_data):
    claims = {}
    with shared_data.joinpath(*CORPUS).open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            claims[record["identifier"]] = record["claimReviewed"]
    for identifier, rewording in load_rewordings(REWORDING_SUITE):
        claim = claims[identifier]
        assert rewording.casefold() != claim.casefold()
        # Numbers written as digits in the fact-check are in the rewording (in digits or in words).
        digits = {n.replace(",", "") for n in re.findall(r"\d+(?:[.,]\d+)*", claim)}
        assert digits <= text.numbers(rewording), (identifier, rewording)
        # Other wording: not the claim's words in the claim's order. (The names and numbers
        # stay, so on average 69% of a rewording's lexemes are its claim's, and two of the
        # pairs only shorten and reorder theirs: the model card says so.)
        assert text.words(rewording) != text.words(claim), (identifier, rewording)


def test_reworded_claims_rank_their_fact_check_first(shared_data):
    result = evaluate_rewordings_offline(ranking.default_model(), shared_data.joinpath(*CORPUS))
    assert result["first"] >= REPORTED_FIRST_RANK - MARGIN, result["missed"]
