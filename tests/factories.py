from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from claims.models import Article, Claim, Claimant, Evidence, Outlet, Rating, RatingScale, ReviewEvent, Verdict


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet

    name = factory.Sequence(lambda n: f"Outlet {n}")
    domain = factory.Sequence(lambda n: f"outlet{n}.example")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    url = factory.Sequence(lambda n: f"https://news.example/story/{n}")
    title = factory.Sequence(lambda n: f"Story number {n}")
    outlet = factory.SubFactory(OutletFactory)
    language = "en"
    text = factory.Sequence(
        lambda n: f"Story {n}. The minister said unemployment fell by 3 percent in 2025. Others disagreed."
    )
    status = Article.Status.DONE
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))


class ClaimantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claimant

    name = factory.Sequence(lambda n: f"Speaker {n}")
    kind = Claimant.Kind.PERSON


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"Unemployment fell by {n} percent in 2025.")
    claimant = factory.SubFactory(ClaimantFactory)
    checkworthiness = 0.5
    language = "en"


class RatingScaleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatingScale

    name = factory.Sequence(lambda n: f"Scale {n}")
    version = 1


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    scale = factory.SubFactory(RatingScaleFactory)
    label = factory.Sequence(lambda n: f"Rating {n}")
    definition = "A rating used in tests."
    value = factory.Sequence(lambda n: n + 1)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    claim = factory.SubFactory(ClaimFactory)
    url = factory.Sequence(lambda n: f"https://source{n}.example/report")
    title = factory.Sequence(lambda n: f"Report {n}")
    publisher = factory.Sequence(lambda n: f"Publisher {n}")
    excerpt = "The figure was 3.1 percent."
    stance = Evidence.Stance.SUPPORTS
    source_type = Evidence.SourceType.DATASET


class VerdictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Verdict

    claim = factory.SubFactory(ClaimFactory)
    rating = factory.SubFactory(RatingFactory)
    headline = "Unemployment fell by 3 percent"
    summary = "Official data show a fall of 3.1 percent."
    explanation = "The statistics office's annual series shows the fall."
    author = factory.SubFactory(UserFactory)


class ReviewEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewEvent

    claim = factory.SubFactory(ClaimFactory)
    action = "claims.claim.accepted"
    from_status = Claim.Status.CANDIDATE
    to_status = Claim.Status.ACCEPTED
    actor = factory.SubFactory(UserFactory)
