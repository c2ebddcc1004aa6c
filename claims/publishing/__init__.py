"""What leaves the desk: the public record of a fact-check, its ClaimReview markup,
the public filters and the signed webhooks."""
