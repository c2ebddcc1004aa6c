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


def test_claims_rank_above_chit_chat():
    claim_scores = score(CLAIMS)
    chat_scores = score(CHIT_CHAT)
    assert min(claim_scores) > max(chat_scores)


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


def test_empty_input_gives_no_scores():
    assert score([]) == []


def test_typographic_quotes_and_percent_sign_score_like_their_ascii_forms():
    assert score(["Fares covered 11% of costs, didn\u2019t they?"]) == pytest.approx(
        score(["Fares covered 11 percent of costs, didn't they?"]), abs=1e-12
    )


def test_committed_model_is_small_and_holds_no_pickles():
    assert MODEL_PATH.stat().st_size < 1_000_000
    with zipfile.ZipFile(MODEL_PATH) as archive:
        assert sorted(archive.namelist()) == ["coef.npy", "config.npy"]
    with np.load(MODEL_PATH, allow_pickle=False) as arrays:
        assert arrays["coef"].dtype == np.dtype("<f4")
        assert arrays["config"].dtype.kind == "U"


def test_a_model_trained_with_other_features_is_refused(tmp_path):
    model = Model.load(MODEL_PATH)
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as arrays:
        config = json.loads(str(arrays["config"]))
        coef = arrays["coef"]
    config["dense_features"] = config["dense_features"][:-1]
    np.savez(tmp_path / "other.npz", config=np.array(json.dumps(config)), coef=coef)
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


def test_train_checkworthiness_writes_a_loadable_model(tmp_path):
    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    output = tmp_path / "model.npz"
    out = StringIO()
    call_command("train_checkworthiness", data_dir=str(data_dir), output=str(output), stdout=out)
    assert "trained on 4 debates (240 sentences, 40 check-worthy)" in out.getvalue()
    model = Model.load(output)
    claim, chat = model.score(["Taxes rose by 12 percent in 2004.", "Good evening."])
    assert 0.0 <= chat < claim <= 1.0
    assert model.info["debates"] == ["debate_0", "debate_1", "debate_2", "debate_3"]


def test_training_is_reproducible_byte_for_byte(tmp_path):
    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    for name in ("a.npz", "b.npz"):
        call_command("train_checkworthiness", data_dir=str(data_dir), output=str(tmp_path / name), stdout=StringIO())
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_committed_model_is_what_train_checkworthiness_produces(shared_data, tmp_path):
    output = tmp_path / "retrained.npz"
    data_dir = shared_data.joinpath(*CLEF_DIR)
    call_command("train_checkworthiness", data_dir=str(data_dir), output=str(output), stdout=StringIO())
    sentences = [*CLAIMS, *CHIT_CHAT, ""]
    assert Model.load(output).score(sentences) == pytest.approx(Model.load(MODEL_PATH).score(sentences), abs=1e-6)


def test_training_into_the_shipped_path_reloads_the_cached_model(monkeypatch, tmp_path):
    shipped = tmp_path / "shipped.npz"
    data_dir = tmp_path / "debates"
    _write_fake_debates(data_dir)
    monkeypatch.setattr(checkworthiness, "MODEL_PATH", shipped)
    monkeypatch.setattr(checkworthiness, "_model", Model.load(MODEL_PATH))
    call_command("train_checkworthiness", data_dir=str(data_dir), output=str(shipped), stdout=StringIO())
    assert checkworthiness.get_model().info["debates"] == ["debate_0", "debate_1", "debate_2", "debate_3"]


def test_evaluate_checkworthiness_reaches_map_0_20_over_all_debates(shared_data):
    out = StringIO()
    call_command("evaluate_checkworthiness", data_dir=str(shared_data.joinpath(*CLEF_DIR)), format="json", stdout=out)
    result = json.loads(out.getvalue())
    assert len(result["folds"]) == 19
    assert all(0.0 <= fold["average_precision"] <= 1.0 for fold in result["folds"])
    assert result["overall"]["map"] >= 0.20
    assert result["overall"]["map"] == pytest.approx(
        np.mean([fold["average_precision"] for fold in result["folds"]]), abs=1e-4
    )


def test_evaluate_checkworthiness_prints_a_line_per_fold_and_the_overall_map(shared_data):
    out = StringIO()
    call_command("evaluate_checkworthiness", data_dir=str(shared_data.joinpath(*CLEF_DIR)), folds=2, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["debate", "sentences", "check-worthy", "C", "AP", "P@10"]
    assert [line.split()[0] for line in lines[1:3]] == ["20160209_msnbc_dem", "20190108_oval_office"]
    assert re.fullmatch(r"\S+\s+\d+\s+\d+\s+[\d.]+\s+[01]\.\d{4}\s+[01]\.\d{2}", lines[1])
    assert re.match(r"overall \(2 debates\): MAP [01]\.\d{4}  P@10 [01]\.\d{4}", lines[3])
