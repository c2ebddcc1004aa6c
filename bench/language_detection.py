"""Language detection on short texts: py3langid (the project's detector) against
lingua-language-detector, on the sentences of tests/data/language_samples.tsv
(161 short sentences in en/es/fr/de/pt/ru/ar, 62 of them four words or fewer,
written for the project) and, where the shared data is present, the claims of
the Google Fact Check sample labelled with one language code.

    python -m bench.language_detection

lingua is not a dependency of the project: install it by hand to compare
(``pip install lingua-language-detector``); without it only py3langid is measured.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "language_samples.tsv"
GOOGLE = (
    Path(os.environ.get("FACTCHECK_SHARED_DATA") or ROOT.parent / "shared" / "data")
    / "claimreview"
    / "google-factcheck-api-sample.json"
)
# A wider set than the detector's, to see how both degrade as the choice grows.
WIDER = tuple(
    "en es fr de pt it nl ru uk pl tr ar fa he hi ur zh ja ko id sv da no fi cs ro hu el bg sr hr sk ca vi th ms sw bn ta".split()
)


def samples() -> list[tuple[str, str]]:
    rows = []
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, text = line.split("\t")
            rows.append((language, text))
    return rows


def google() -> list[tuple[str, str]]:
    if not GOOGLE.is_file():
        return []
    rows = []
    for record in json.loads(GOOGLE.read_text(encoding="utf-8")):
        codes = {review.get("languageCode") for review in record.get("claimReview", [])}
        text = (record.get("text") or "").strip()
        if len(codes) == 1 and text:
            rows.append((codes.pop(), text))
    return rows


def py3langid(languages: tuple[str, ...] | None) -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if languages:
        identifier.set_languages(list(languages))
    return lambda text: identifier.classify(text)[0]


def lingua(languages: tuple[str, ...] | None) -> Callable[[str], str] | None:
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:
        return None
    if languages:
        codes = [getattr(IsoCode639_1, "NB" if c == "no" else c.upper()) for c in languages]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    else:
        builder = LanguageDetectorBuilder.from_all_languages()
    detector = builder.with_preloaded_language_models().build()

    def detect(text: str) -> str:
        language = detector.detect_language_of(text)
        code = language.iso_code_639_1.name.lower() if language else ""
        return "no" if code == "nb" else code

    return detect


def measure(detect: Callable[[str], str], rows: list[tuple[str, str]]) -> dict:
    started = time.perf_counter()
    answers = [detect(text) for _, text in rows]
    elapsed = time.perf_counter() - started
    right = [answer == language for answer, (language, _) in zip(answers, rows, strict=True)]
    short = [ok for ok, (_, text) in zip(right, rows, strict=True) if len(text.split()) <= 4]
    by_language = {}
    for ok, (language, _) in zip(right, rows, strict=True):
        by_language.setdefault(language, []).append(ok)
    return {
        "accuracy": round(sum(right) / len(rows), 3),
        "right": sum(right),
        "texts": len(rows),
        "short_accuracy": round(sum(short) / len(short), 3) if short else None,
        "by_language": {language: round(sum(v) / len(v), 3) for language, v in sorted(by_language.items())},
        "ms_per_text": round(elapsed / len(rows) * 1000, 3),
        "wrong": [
            (language, answer, text)
            for answer, (language, text) in zip(answers, rows, strict=True)
            if answer != language
        ][:8],
    }


def main() -> int:
    from claims.extraction import languages

    desk = languages.DETECTION_LANGUAGES
    detectors: dict[str, Callable[[str], str] | None] = {
        "py3langid, all 97 languages": py3langid(None),
        f"py3langid, {len(WIDER)} languages": py3langid(WIDER),
        f"py3langid, the desk's {len(desk)}": py3langid(desk),
        "project detector (languages.detect_language)": languages.detect_language,
        "lingua, all 75 languages": lingua(None),
        f"lingua, {len(WIDER)} languages": lingua(WIDER),
        f"lingua, the desk's {len(desk)}": lingua(desk),
    }
    sets = {"own short sentences": samples(), "Google Fact Check sample claims": google()}
    report = {}
    for name, detect in detectors.items():
        if detect is None:
            print(f"{name}: not installed, skipped")
            continue
        for set_name, rows in sets.items():
            if not rows:
                continue
            result = measure(detect, rows)
            report.setdefault(name, {})[set_name] = result
            short = f", {result['short_accuracy']:.3f} on <= 4 words" if result["short_accuracy"] is not None else ""
            print(
                f"{name:<46} {set_name:<32} {result['accuracy']:.3f} ({result['right']}/{result['texts']}){short}"
                f"  {result['ms_per_text']:.2f} ms/text  {result['by_language']}"
            )
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    django.setup()
    raise SystemExit(main())
