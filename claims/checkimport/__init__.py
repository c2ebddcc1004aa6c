"""Moving a desk from Meedan Check: importing its workspace export (issue 19).

``archive`` reads the zip or folder safely, ``csvfiles`` the CSV files Check
writes, ``maps`` turns Check's statuses and roles into ours, ``steps`` holds one
step per file, ``importer`` runs them in batches and reports per kind, and
``services`` makes the writes that reach the public record or accounts. The
guide is docs/migrating-from-check.md.
"""
