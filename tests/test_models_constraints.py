"""Invariants the database (and, where it cannot, the model) holds."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError

from claims.models import Article, Claim, Claimant, Rating, ReviewEvent, Verdict

from .factories import (
    ArticleFactory,
    ClaimFactory,
    RatingFactory,
    ReviewEventFactory,
    UserFactory,
    VerdictFactory,
)

pytestmark = pytest.mark.django_db


def test_duplicate_article_url_is_refused():
    ArticleFactory(url="https://news.example/a/1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(url="https://news.example/a/1")


def test_article_url_is_normalized_so_spellings_of_one_url_collide():
    first = ArticleFactory(url="HTTPS://News.Example:443/a/1?utm_source=x&b=2&a=1#comments")
    assert first.url == "https://news.example/a/1?a=1&b=2"
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(url="https://news.example/a/1?a=1&b=2&fbclid=abc")


def test_many_articles_may_have_no_url():
    ArticleFactory(url="", text="Pasted text one.")
    ArticleFactory(url="", text="Pasted text two.")
    assert Article.objects.filter(url="").count() == 2


def test_same_text_from_two_urls_is_recognised_by_its_content_hash():
    first = ArticleFactory(url="https://one.example/story", text="The  minister said\nunemployment fell.")
    second = Article(url="https://two.example/copy", text="the minister said unemployment fell.")

    with pytest.raises(ValidationError) as excinfo:
        second.full_clean()
    assert f"article #{first.pk}" in str(excinfo.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    assert len(first.content_hash) == 64


def test_article_text_change_updates_the_hash_even_with_update_fields():
    article = ArticleFactory(text="First text.")
    old = article.content_hash
    article.text = "Second text."
    article.save(update_fields=["text"])
    article.refresh_from_db()
    assert article.content_hash not in ("", old)


def test_failed_article_must_say_why():
    article = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(status=Article.Status.FAILED, error="")


def test_claimant_names_are_unique_per_kind_ignoring_case():
    Claimant.objects.create(name="Jens Stoltenberg", kind=Claimant.Kind.PERSON)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claimant.objects.create(name="jens stoltenberg", kind=Claimant.Kind.PERSON)
    Claimant.objects.create(name="Jens Stoltenberg", kind=Claimant.Kind.ORGANIZATION)


def test_span_inside_article_text_is_accepted():
    article = ArticleFactory(text="Intro. Unemployment fell by 3 percent. Outro.")
    sentence = "Unemployment fell by 3 percent."
    start = article.text.index(sentence)
    claim = ClaimFactory(article=article, sentence=sentence, span_start=start, span_end=start + len(sentence))
    assert article.text[claim.span_start : claim.span_end] == sentence


def test_span_past_the_end_of_the_article_text_is_refused():
    article = ArticleFactory(text="Short text.")
    with pytest.raises(ValidationError, match="outside the article text"):
        ClaimFactory(article=article, span_start=0, span_end=500)
    assert not Claim.objects.exists()


def test_span_must_cover_the_sentence_it_claims_to():
    article = ArticleFactory(text="Intro. Unemployment fell by 3 percent. Outro.")
    with pytest.raises(ValidationError, match="not the article text"):
        ClaimFactory(article=article, sentence="Unemployment fell by 3 percent.", span_start=0, span_end=6)


def test_database_refuses_reversed_span_or_span_without_article():
    article = ArticleFactory(text="Intro. Unemployment fell by 3 percent. Outro.")
    claim = ClaimFactory(article=article, span_start=0, span_end=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(span_start=6, span_end=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(article=None)


def test_one_claim_per_article_span():
    article = ArticleFactory(text="Intro. Unemployment fell by 3 percent. Outro.")
    ClaimFactory(article=article, span_start=7, span_end=38)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(article=article, span_start=7, span_end=38)


def test_duplicate_status_needs_a_canonical_claim_and_not_itself():
    claim = ClaimFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.DUPLICATE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(duplicate_of=claim)


def test_checkworthiness_lies_between_0_and_1():
    claim = ClaimFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(checkworthiness=1.5)


def test_rating_in_use_cannot_be_deleted_but_can_be_retired():
    verdict = VerdictFactory()
    rating = verdict.rating
    with pytest.raises(ProtectedError):
        rating.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).delete()
    rating.retired = True
    rating.save()
    verdict.refresh_from_db()
    assert verdict.rating == rating and verdict.rating.retired


def test_unused_rating_can_be_deleted():
    rating = RatingFactory()
    rating.delete()
    assert not Rating.objects.filter(pk=rating.pk).exists()


def test_rating_in_use_keeps_its_label_and_value():
    verdict = VerdictFactory()
    rating = verdict.rating
    rating.label = "Renamed"
    with pytest.raises(ValidationError, match="new version of the scale"):
        rating.full_clean()


def test_scale_best_and_worst_follow_from_its_ratings(default_scale):
    assert (default_scale.best_value, default_scale.worst_value) == (5, 1)
    labels = list(default_scale.ratings.values_list("label", flat=True))
    assert labels == ["True", "Mostly true", "Half true", "Mostly false", "False", "Misleading", "Unproven"]
    assert default_scale.ratings.get(label="Unproven").value is None


def test_one_draft_and_one_published_verdict_per_claim():
    draft = VerdictFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        VerdictFactory(claim=draft.claim, revision=2, rating=draft.rating)


def test_correction_revision_needs_a_public_note_once_published():
    first = VerdictFactory(status=Verdict.Status.SUPERSEDED, published_at="2026-01-01T00:00Z")
    with pytest.raises(IntegrityError), transaction.atomic():
        VerdictFactory(
            claim=first.claim,
            rating=first.rating,
            revision=2,
            status=Verdict.Status.PUBLISHED,
            published_at="2026-02-01T00:00Z",
            correction_note="",
        )
    VerdictFactory(
        claim=first.claim,
        rating=first.rating,
        revision=2,
        status=Verdict.Status.PUBLISHED,
        published_at="2026-02-01T00:00Z",
        correction_note="The figure was for 2024, not 2025.",
    )
    assert first.claim.verdicts.count() == 2


def test_audit_trail_refuses_edits_and_deletes_through_the_orm():
    event = ReviewEventFactory(note="original")
    event.note = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ReviewEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(PermissionError):
        ReviewEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.note == "original"


def test_audit_trail_refuses_edits_in_the_database_itself():
    event = ReviewEventFactory(note="original")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE claims_reviewevent SET note = 'rewritten' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.note == "original"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the DELETE trigger exists on PostgreSQL only")
def test_audit_trail_refuses_deletes_in_the_database_itself():
    event = ReviewEventFactory()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM claims_reviewevent WHERE id = %s", [event.pk])
    assert ReviewEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_user_keeps_their_audit_history():
    user = UserFactory(username="departed")
    event = ReviewEventFactory(actor=user)
    user.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_username == "departed"


def test_claim_with_history_cannot_be_deleted():
    event = ReviewEventFactory()
    with pytest.raises(ProtectedError):
        event.claim.delete()
