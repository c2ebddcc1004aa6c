"""The review: the workflow that moves a claim from candidate to published, and who may do what."""
