"""The default rating scale, shared by the data migration and the demo command."""

from __future__ import annotations

DEFAULT_SCALE_NAME = "Standard"
DEFAULT_SCALE_DESCRIPTION = (
    "Five graded ratings from True to False, plus Misleading and Unproven for claims "
    "that cannot be placed on the true-false line."
)

# (label, numeric value or None, definition shown to readers)
DEFAULT_RATINGS: list[tuple[str, int | None, str]] = [
    ("True", 5, "The statement is accurate and nothing significant is missing."),
    ("Mostly true", 4, "The statement is accurate but needs clarification or additional information."),
    (
        "Half true",
        3,
        "The statement is partially accurate but leaves out important details or takes things out of context.",
    ),
    (
        "Mostly false",
        2,
        "The statement contains an element of truth but ignores critical facts that would give a different impression.",
    ),
    ("False", 1, "The statement is not accurate."),
    ("Misleading", None, "The statement uses accurate facts in a way that leads to a false conclusion."),
    ("Unproven", None, "The available evidence neither proves nor disproves the statement."),
]


def ensure_default_scale(RatingScale, Rating):  # noqa: N803 (historical models in migrations)
    """Create the default scale and its ratings if absent. Idempotent."""
    scale, _ = RatingScale.objects.get_or_create(
        name=DEFAULT_SCALE_NAME,
        version=1,
        defaults={
            "description": DEFAULT_SCALE_DESCRIPTION,
            "is_default": not RatingScale.objects.filter(is_default=True).exists(),
        },
    )
    for order, (label, value, definition) in enumerate(DEFAULT_RATINGS):
        Rating.objects.get_or_create(
            scale=scale, label=label, defaults={"value": value, "definition": definition, "order": order}
        )
    return scale
