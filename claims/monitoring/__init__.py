"""Outlet monitoring: feeds and sitemaps polled on a schedule, new articles ingested, repeats flagged (issue 18).

Above intake: it submits what it finds through the normal ingestion path.
"""
