"""The check-worthiness scorer: ranking, output contract, commands, and the committed model."""

from __future__ import annotations

import json
import re
import zipfile
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from claims.extraction import checkworthiness
from claims.extraction.checkworthiness import MODEL_PATH, Model, ModelError, score

CLAIMS = [
    "Unemployment fell by 3.1 percent last year, the lowest since 1969.",
    "The bill would cut taxes for 90 percent of families.",
    "The city spent $14 million on the stadium, twice what it promised in 2019.",
    "Violent crime has risen 40% since the governor took office.",
]
CHIT_CHAT = [
    "Thank you very much.",
    "Let me say this.",
    "Good evening everyone.",
    "Thank you, thank you.",
    "Well, I'd like to respond to that.",
]
CLEF_DIR = ("checkworthiness", "clef2019-task1-train")
# A small news-style sanity set, written for these tests (not from any data set):
# factual claims about the world against narration, reporting and chit-chat.
NEWS_FACTUAL = [
    "The unemployment rate in Germany rose to 6.1 percent in March, its highest level in three years.",
    "Most of the aid approved by Congress last year has already been spent on weapons made in the United States.",
    "The new law will not reduce emissions because it exempts the largest coal plants.",
    "Independent auditors concluded that the ministry overstated the number of homes it built by nearly half.",
    "Sanctions have failed to stop the country's oil exports, which reached a record high in 2023.",
    "Vaccinated people are far less likely to be hospitalised with the disease than unvaccinated people.",
    "Every member state except Hungary voted in favour of the resolution.",
    "The company paid no federal income tax last year despite profits of $5 billion.",
]
NEWS_NARRATIVE = [
    "For weeks, the opposition leader has been urging his supporters to stay calm.",
    "The minister declined to comment on the report.",
    "She has been calling on world leaders to send more help to the region.",
    "Speaking to reporters on Tuesday, the spokesman refrained from giving a timeline.",
    "The talks are expected to resume next week in Geneva.",
    "He thanked the crowd and promised to return soon.",
    "Officials have been pleading with residents to leave the area before the storm.",
]
SEED_CLAIM = "many US military officials and lawmakers have reached the conclusion"


def test_claims_rank_above_chit_chat():
    claim_scores = score(CLAIMS)
    chat_scores = score(CHIT_CHAT)
    assert min(claim_scores) > max(chat_scores)


def test_news_claims_rank_above_news_narration_on_average():
    factual, narrative = score(NEWS_FACTUAL), score(NEWS_NARRATIVE)
    assert np.mean(factual) > np.mean(narrative) + 0.2
    # Most pairs are ordered right, not just the means (AUC over the sanity set).
    pairs = [f > n for f in factual for n in narrative]
    assert np.mean(pairs) >= 0.9


def _seed_sentences(shared_data: Path) -> list[str]:
    from claims.extraction.candidates import split_sentences

    text = (shared_data / "seed" / "000_421e45027504a804.txt").read_text(encoding="utf-8")
    return [s.text for s in split_sentences(text) if len(s.text.split()) >= 5]


def test_seed_articles_example_claim_ranks_in_the_top_3(shared_data):
    # The previous model also had to rank Zelensky's pleas below this claim; issue 20
    # wants those pleas as candidates (they are his requests), so that check is gone.
    sentences = _seed_sentences(shared_data)
    scores = np.array(score(sentences))
    claim = next(i for i, s in enumerate(sentences) if SEED_CLAIM in s)
    assert int((scores > scores[claim]).sum()) < 3


def test_scores_lie_in_unit_interval_and_keep_order():
    sentences = [*CLAIMS, "", "   ", "?", "x" * 5000, *CHIT_CHAT]
    scores = score(sentences)
    assert len(scores) == len(sentences)
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert scores[: len(CLAIMS)] == score(CLAIMS)


def test_scores_are_deterministic_and_independent_of_the_batch():
    batch = score([*CHIT_CHAT, *CLAIMS])
    assert batch == score([*CHIT_CHAT, *CLAIMS])
    assert [score([sentence])[0] for sentence in [*CHIT_CHAT, *CLAIMS]] == pytest.approx(batch, abs=1e-12)


# Edge cases of the fast path: words only a regular expression catches, non-ASCII
# words (compared the plain way), texts without words, separators in the text.
FAST_PATH_EDGES = [
    "",
    "?",
    "It costs $ 5, or \u00a35, or \u20ac 5 \u2014 about 5 dollars.",
    "In the '90s and the 1980s, in 2019 and 2030: all-time highs, the hottest, the greatest.",
    "Not years: 1990S, x2019, 2019_a, 20199, 199, '90S; years: '80s, 2019's, 1999.5, (2001).",
    "Prices in $5, £ 10 and €; a lone $ sign, US$ and 5$.",
    "We didn't, they won't, I can't: to no avail, in vain, it did not work and will not prevent it.",
    "I'm sure you're right; in my opinion I think so, but I'm not sure.",
    "He has been begging, she had been pleading, they called on us and declined to comment.",
    "The study found that, according to evidence, it led to and resulted in more than half.",
    "\u212aELVIN and \u017fome \u0130stanbul \u0131 caf\u00e9 r\u00e9sum\u00e9s NATO EU Mr Smith, Jones.",
    "PERCENT Per Cent per cent percentage Per cent.",
    "Not acronyms: U.S., ABC123, AB_CD, NATOs, aNATO, A, 2UK; in another: NATO.",
    "UK's X-RAY",
    "Going to, gonna, want to, need to, no one, nobody, More Than.",
    "Text with a \x00 NUL and 1999 in it.",
    "x" * 300,
    " ".join(["word"] * 300),
]


def test_fast_dense_features_equal_the_plain_computation(shared_data):
    from claims.extraction.training import load_debates

    debates = load_debates(shared_data.joinpath(*CLEF_DIR))
    sentences = [s for debate in debates for s in debate.sentences]
    picked = [sentences[i] for i in range(0, len(sentences), 40)]  # ~400, spread over the debates
    texts = [checkworthiness.normalise(t) for t in [*picked, *_seed_sentences(shared_data), *FAST_PATH_EDGES]]
    fast = checkworthiness.dense_features(texts)
    plain = checkworthiness.reference_dense_features(texts)
    assert fast.shape == plain.shape == (len(texts), len(checkworthiness.DENSE_FEATURE_NAMES))
    mismatched = [(texts[i], checkworthiness.DENSE_FEATURE_NAMES[j]) for i, j in np.argwhere(fast != plain)]
    assert mismatched == []
    # One text at a time, and without the NUL text (the fast path proper), give the same rows.
    clean = [t for t in texts if "\x00" not in t]
    assert np.array_equal(checkworthiness.dense_features(clean), checkworthiness.reference_dense_features(clean))
    for text in FAST_PATH_EDGES:
        assert np.array_equal(checkworthiness.dense_features([text]), checkworthiness.reference_dense_features([text]))


def test_empty_input_gives_no_scores():
    assert score([]) == []


def test_typographic_quotes_and_percent_sign_score_like_their_ascii_forms():
    assert score(["Fares covered 11% of costs, didn\u2019t they?"]) == pytest.approx(
        score(["Fares covered 11 percent of costs, didn't they?"]), abs=1e-12
    )


def test_committed_model_is_small_and_holds_no_pickles():
    assert MODEL_PATH.stat().st_size < 1_000_000
    with zipfile.ZipFile(MODEL_PATH) as archive:
        assert sorted(archive.namelist()) == ["coef.npy", "config.npy", "pieces.npy", "tokenizer.npy"]
    with np.load(MODEL_PATH, allow_pickle=False) as arrays:
        assert arrays["coef"].dtype == arrays["pieces"].dtype == np.dtype("<f4")
        assert arrays["config"].dtype.kind == arrays["tokenizer"].dtype.kind == "U"


def test_a_model_trained_with_other_features_is_refused(tmp_path):
    model = Model.load(MODEL_PATH)
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as arrays:
        kept = dict(arrays)
    config = json.loads(str(kept["config"]))
    config["dense_features"] = config["dense_features"][:-1]
    np.savez(tmp_path / "other.npz", **{**kept, "config": np.array(json.dumps(config))})
    with pytest.raises(ModelError, match="other hand-written features"):
        Model.load(tmp_path / "other.npz")


def test_score_sentences_writes_one_score_per_input_line_in_order():
    lines = [CLAIMS[0], "", CHIT_CHAT[0], CLAIMS[1], "   ", CHIT_CHAT[1]]
    out = StringIO()
    call_command("score_sentences", stdin=StringIO("\n".join(lines) + "\n"), stdout=out)
    written = out.getvalue().splitlines()
    assert len(written) == len(lines)
    assert all(re.fullmatch(r"[01]\.\d{4}", value) for value in written)
    assert written == [f"{value:.4f}" for value in score(lines)]


def test_score_sentences_keeps_line_count_across_batches_and_without_final_newline():
    lines = [CLAIMS[i % len(CLAIMS)] if i % 3 else "" for i in range(5000)]
    out = StringIO()
    call_command("score_sentences", stdin=StringIO("\n".join(lines)), stdout=out)
    assert out.getvalue().splitlines() == [f"{value:.4f}" for value in score(lines)]


def _write_fake_debates(folder: Path) -> None:
    folder.mkdir()
    rng = np.random.default_rng(7)
    claims = [
        "Taxes rose by {} percent in {}.",
        "We lost {} thousand jobs since {}.",
        "The deficit is {} billion dollars, the highest since {}.",
    ]
    chatter = ["Thank you.", "Let me answer that.", "Good evening.", "Next question, please.", "Well, look."]
    for d in range(4):
        rows = []
        for i in range(60):
            if i % 6 == 0:
                text, label = rng.choice(claims).format(rng.integers(2, 90), rng.integers(1990, 2020)), 1
            else:
                text, label = rng.choice(chatter), 0
            rows.append(f"{i + 1}\tSPEAKER{d}\t{text}\t{label}\n")
        (folder / f"debate_{d}.tsv").write_text("".join(rows), encoding="utf-8")


def _tiny_embedding(folder: Path) -> Path:
    """A word-level static model over the fake debates' words (8 seeded random dimensions)."""
    from .model2vec_support import write_model2vec

    words = sorted(
        {
            w
            for text in (
                "taxes rose by percent in we lost thousand jobs since the deficit is billion dollars highest",
                "thank you let me answer that good evening next question please well look",
            )
            for w in text.split()
        }
    )
    vocabulary = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(words)}}
    vectors = np.random.default_rng(3).normal(size=(len(vocabulary), 8)).astype(np.float32)
    return write_model2vec(folder, vocabulary, vectors)


@pytest.fixture
def tiny_embedding(tmp_path) -> Path:
    return _tiny_embedding(tmp_path / "embedding")


def _train_command(data_dir: Path, output: Path, embedding: Path, **options) -> str:
    """Run train_checkworthiness; its output."""
    out = StringIO()
    call_command(
        "train_checkworthiness",
        data_dir=str(data_dir),
        output=str(output),
        embedding_model=str(embedding),
        stdout=out,
        **options,
    )
    return out.getvalue()


def test_train_checkworthiness_writes_a_loadable_model(tmp_path, tiny_embedding):
    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    output = tmp_path / "model.npz"
    printed = _train_command(data_dir, output, tiny_embedding)
    assert "trained on 4 debates (240 sentences, 40 check-worthy)" in printed
    model = Model.load(output)
    claim, chat = model.score(["Taxes rose by 12 percent in 2004.", "Good evening."])
    assert 0.0 <= chat < claim <= 1.0
    assert model.info["debates"] == ["debate_0", "debate_1", "debate_2", "debate_3"]


def test_training_is_reproducible_byte_for_byte(tmp_path, tiny_embedding):
    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    for name in ("a.npz", "b.npz"):
        _train_command(data_dir, tmp_path / name, tiny_embedding)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_committed_model_is_what_train_checkworthiness_produces(shared_data, checkworthiness_embedding, tmp_path):
    output = tmp_path / "retrained.npz"
    data_dir = shared_data.joinpath(*CLEF_DIR)
    _train_command(data_dir, output, checkworthiness_embedding)
    sentences = [*CLAIMS, *CHIT_CHAT, ""]
    retrained, committed = Model.load(output).score(sentences), Model.load(MODEL_PATH).score(sentences)
    # Training is byte-for-byte repeatable on one machine (the test above); across CPUs,
    # numpy's vectorised sums round differently in the last digits (seen: 5e-6), so the
    # scores agree to 1e-4 and rank the sentences in the same order.
    assert retrained == pytest.approx(committed, abs=1e-4)
    assert sorted(range(len(sentences)), key=retrained.__getitem__) == sorted(
        range(len(sentences)), key=committed.__getitem__
    )


def test_training_into_the_shipped_path_reloads_the_cached_model(monkeypatch, tmp_path, tiny_embedding):
    shipped = tmp_path / "shipped.npz"
    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    monkeypatch.setattr(checkworthiness, "MODEL_PATH", shipped)
    monkeypatch.setattr(checkworthiness, "_model", Model.load(MODEL_PATH))
    _train_command(data_dir, shipped, tiny_embedding)
    assert checkworthiness.get_model().info["debates"] == ["debate_0", "debate_1", "debate_2", "debate_3"]


def test_evaluate_checkworthiness_reports_training_cv_and_the_dev_debates_once(shared_data, checkworthiness_embedding):
    from claims.extraction.training import DEV_DEBATES

    out = StringIO()
    call_command(
        "evaluate_checkworthiness",
        data_dir=str(shared_data.joinpath(*CLEF_DIR)),
        embedding_model=str(checkworthiness_embedding),
        format="json",
        stdout=out,
    )
    result = json.loads(out.getvalue())
    cv, dev = result["training_cv"], result["dev"]
    # 15 training debates, each held out in turn; the 4 dev debates, scored by the
    # procedure trained on those 15 (none of them is ever a training debate here).
    assert len(cv["folds"]) == 15
    assert sorted(fold["debate"] for fold in dev["folds"]) == sorted(DEV_DEBATES)
    assert not {fold["debate"] for fold in cv["folds"]} & set(DEV_DEBATES)
    assert all(0.0 <= fold["average_precision"] <= 1.0 for fold in cv["folds"] + dev["folds"])
    for part in (cv, dev):
        assert part["overall"]["map"] == pytest.approx(
            np.mean([fold["average_precision"] for fold in part["folds"]]), abs=1e-4
        )
    # The model card's figures for the shipped procedure (training CV 0.2557, dev 0.1550:
    # the third look at dev), with room for other CPUs' rounding.
    assert cv["overall"]["map"] == pytest.approx(0.2557, abs=0.005)
    assert dev["overall"]["map"] == pytest.approx(0.1550, abs=0.005)


def test_evaluate_checkworthiness_prints_the_training_folds_then_the_dev_debates(
    shared_data, checkworthiness_embedding
):
    out = StringIO()
    call_command(
        "evaluate_checkworthiness",
        data_dir=str(shared_data.joinpath(*CLEF_DIR)),
        embedding_model=str(checkworthiness_embedding),
        folds=2,
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "training debates, each held out in turn:"
    assert lines[1].split() == ["debate", "sentences", "check-worthy", "C", "embeddings/cues", "AP", "P@10"]
    assert [line.split()[0] for line in lines[2:4]] == ["20160209_msnbc_dem", "20190108_oval_office"]
    assert re.fullmatch(r"\S+\s+\d+\s+\d+\s+[\d.]+/[\d.]+\s+[01]\.\d{4}\s+[01]\.\d{2}", lines[2])
    assert re.match(r"overall \(2 debates\): MAP [01]\.\d{4} ± [01]\.\d{4}  P@10 [01]\.\d{4}", lines[4])
    assert lines[5] == "dev debates, once:"
    assert re.match(r"overall \(4 debates\): MAP [01]\.\d{4}", lines[11])


def test_clean_claim_drops_quote_marks_and_a_leading_says():
    from claims.extraction.training import clean_claim

    assert clean_claim('Says the bill "strips states of their right to vote"') == (
        "The bill strips states of their right to vote."
    )
    assert clean_claim("\u201cWe've cut taxes 12%.\u201d") == "We've cut taxes 12 percent."


def test_train_checkworthiness_adds_claimreview_positives_or_says_why_not(tmp_path, tiny_embedding):
    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    claims = tmp_path / "claimreview"
    claims.mkdir()
    records = [
        {"claimReviewed": f'Says the state lost {n} thousand jobs in "one year"', "inLanguage": "en"} for n in range(5)
    ]
    (claims / "politifact-ct2021-2b.claimreview.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    printed = _train_command(data_dir, tmp_path / "a.npz", tiny_embedding, claimreview_dir=str(claims))
    assert "and 5 extra check-worthy claims" in printed
    assert Model.load(tmp_path / "a.npz").info["extra_positives"] == 5
    err = StringIO()
    _train_command(data_dir, tmp_path / "b.npz", tiny_embedding, claimreview_dir=str(tmp_path / "absent"), stderr=err)
    assert "not found: training on the debates only" in err.getvalue()
    assert Model.load(tmp_path / "b.npz").info["extra_positives"] == 0


def test_compare_candidates_scores_every_candidate_and_the_ensemble(tmp_path):
    from claims.extraction.training import compare_candidates, load_debates

    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    result = compare_candidates(load_debates(data_dir), inner_folds=2)
    assert len(result) == 6
    assert "B + D ensemble (shipped)" in result
    for figures in result.values():
        assert len(figures["average_precision"]) == 4
        assert 0.0 <= figures["map"] <= 1.0


def test_term_weighting_drops_words_of_fewer_than_min_debates_debates():
    from claims.extraction.training import HASHING, hashing_vectorizer, term_weighting

    sentences = ["tariff cost", "tariff cost", "tariff jobs", "jobs wall", "jobs wall", "jobs"]
    groups = np.array([0, 0, 1, 2, 2, 3])
    counts = hashing_vectorizer(HASHING).transform(sentences).tocsr()
    bucket = {w: hashing_vectorizer(HASHING).transform([w]).indices[0] for w in ("tariff", "cost", "jobs", "wall")}
    by_sentences = term_weighting(counts)  # in >= 2 sentences: all four
    assert all(by_sentences.idf[b] > 0 for b in bucket.values())
    by_debates = term_weighting(counts, groups=groups, min_debates=3)
    # "jobs" is in 3 debates; "tariff" in 2, "cost" and "wall" in 1 (each in 2 sentences)
    assert by_debates.idf[bucket["jobs"]] == by_sentences.idf[bucket["jobs"]]
    assert [by_debates.idf[bucket[w]] for w in ("tariff", "cost", "wall")] == [0.0, 0.0, 0.0]
    # Never more debates than there are: with two debates, a word of both counts.
    two = term_weighting(counts[:3], groups=groups[:3], min_debates=3)
    assert two.idf[bucket["tariff"]] > 0 and two.idf[bucket["cost"]] == 0.0


def test_second_round_comparison_scores_its_candidates_paired(tmp_path):
    from claims.extraction import comparison
    from claims.extraction.training import load_debates

    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    tweets = (["Cases rose 40 percent in March.", "Stay safe everyone"], np.array([1, 0]))
    names = ["shipped B + D", "I words in >= 3 debates", "G2 neighbour smoothing", "J + CheckThat! 2020 tweets"]
    result = comparison.compare(load_debates(data_dir), names=names, labelled={"tweets": tweets}, log=lambda _: None)
    assert list(result) == names
    for figures in result.values():
        assert len(figures["average_precision"]) == 4
        assert 0.0 <= figures["map"] <= 1.0
    paired = comparison.paired(
        result["shipped B + D"]["average_precision"], result["shipped B + D"]["average_precision"]
    )
    assert paired["mean"] == 0.0 and paired["wins"] == 0


def test_neighbours_stay_inside_their_document():
    from claims.extraction.comparison import clean_tweet, neighbour_cues, smooth

    groups = np.array([0, 0, 0, 1, 1])
    scores = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    assert smooth(scores, groups, 0.5).tolist() == [2.0, 3.0, 4.0, 20.0, 25.0]
    cues = scores.reshape(-1, 1)
    assert neighbour_cues(cues, groups).tolist() == [[0, 2], [1, 3], [2, 0], [0, 20], [10, 0]]
    assert clean_tweet("Wow @who #COVID19 cases https://t.co/x up") == "Wow COVID19 cases up"


def test_the_piece_weights_are_the_embedding_regression_folded_per_piece(tmp_path, tiny_embedding):
    """Scoring by the mean piece weight equals a linear model over the mean vectors (the
    embedding view as trained): the weights lie in the span of the vectors."""
    from claims.extraction.training import StaticEmbedding, load_debates, train

    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    embedding = StaticEmbedding(tiny_embedding)
    model = train(load_debates(data_dir), embedding=embedding, inner_folds=2)
    direction, *_ = np.linalg.lstsq(embedding.vectors, model.pieces.weights, rcond=None)
    assert np.allclose(embedding.vectors @ direction, model.pieces.weights, atol=1e-5)
    texts = ["Taxes rose by 12 percent.", "Good evening.", "jobs jobs jobs", "", "words unknown everywhere"]
    normalised = [checkworthiness.normalise(t) for t in texts]
    assert np.allclose(model.pieces.means(normalised), embedding.mean_vectors(texts) @ direction, atol=1e-5)
    assert model.pieces.means(["words unknown everywhere"])[0] == model.pieces.weights[0]  # all [UNK]


def test_pieces_no_training_sentence_contains_have_weights_too(shared_data):
    from claims.extraction.training import load_debates

    model = checkworthiness.get_model()
    sentences = [s for d in load_debates(shared_data.joinpath(*CLEF_DIR)) for s in d.sentences]
    seen = {i for ids in model.pieces.piece_ids([checkworthiness.normalise(s) for s in sentences]) for i in ids}
    unseen = np.setdiff1d(np.arange(len(model.pieces.weights)), sorted(seen))
    assert len(unseen) > 10_000  # most of the vocabulary never occurs in the debates...
    assert np.count_nonzero(model.pieces.weights[unseen]) == len(unseen)  # ...and every piece has a weight
    # "fatalities" (one word-piece) never occurs in the debates; "deaths" does: the claim scores alike.
    assert "fatalities" not in " ".join(sentences).lower()
    assert model.pieces.tokenizer.encode("fatalities", add_special_tokens=False).tokens == ["fatalities"]
    fatalities, deaths, chat = score(
        ["Road fatalities rose by 12 percent last year.", "Road deaths rose by 12 percent last year.", "Good evening."]
    )
    assert abs(fatalities - deaths) < 0.05 and chat < 0.5 < fatalities


def test_training_without_the_embedding_model_says_how_to_make_it(tmp_path):
    from django.core.management.base import CommandError

    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    with pytest.raises(CommandError, match="make checkworthiness-embedding"):
        _train_command(data_dir, tmp_path / "model.npz", tmp_path / "absent")
    assert not (tmp_path / "model.npz").exists()


def test_a_model_file_of_an_older_format_is_refused_with_the_way_out(tmp_path):
    with np.load(MODEL_PATH, allow_pickle=False) as arrays:
        kept = dict(arrays)
    config = json.loads(str(kept["config"]))
    config["format_version"] = 2
    np.savez(tmp_path / "old.npz", **{**kept, "config": np.array(json.dumps(config))})
    with pytest.raises(ModelError, match="format version 2, this code reads 3; retrain it"):
        Model.load(tmp_path / "old.npz")


def test_claimbuster_sentences_from_the_first_one_a_clef_debate_holds_onward_are_cut(tmp_path):
    from claims.extraction.comparison import load_claimbuster
    from claims.extraction.training import Debate

    debate = Debate(
        "20161010_2pres",
        ("Thank you very much.", "We have lost 70,000 factories since China joined the WTO in 2001."),
        np.array([0, 1]),
    )
    records = [
        {"sentence_id": 3, "label": 1, "text": "We cut taxes for 40 million families across this whole country."},
        {"sentence_id": 1, "label": 0, "text": "Thank you very much."},  # short: sets no cut
        {"sentence_id": 7, "label": 1, "text": "We have lost 70,000 factories since China joined the WTO in 2001."},
        {"sentence_id": 9, "label": 0, "text": "A later sentence of the same 2016 debate, not in the CLEF file."},
    ]
    path = tmp_path / "kfold_25ncs.json"
    path.write_text(json.dumps(records))
    texts, labels = load_claimbuster(path, [debate], log=lambda _: None)
    assert texts == ["Thank you very much.", records[0]["text"]]
    assert labels.tolist() == [0, 1]
