"""The public site: fact-check pages, feeds, methodology and corrections, and /healthz."""
