"""Articles in: submitted by URL or text, fetched, their text and claims extracted."""
