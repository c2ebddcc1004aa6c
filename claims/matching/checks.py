"""System checks for the optional semantic backend (``manage.py check``, and every
command's start): a configured model that cannot be loaded, or a database that
cannot hold embeddings, is said once, with what to do, instead of failing later."""

from __future__ import annotations

from django.core import checks
from django.db import DatabaseError

from . import semantic


def semantic_backend(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    if not semantic.configured():
        return []
    problems: list[checks.CheckMessage] = []
    try:
        model = semantic.embedder()
    except semantic.SemanticError as exc:
        problems.append(
            checks.Error(
                str(exc),
                hint="Install the model in that directory, or unset FACTCHECK_EMBEDDING_MODEL to match lexically only.",
                id="claims.E020",
            )
        )
        model = None
    # The database is only asked when the check is run for it (`check --database default`,
    # migrate), as Django's own database checks do.
    for alias in databases or ():
        problem = semantic.database_problem(alias)
        if problem:
            problems.append(checks.Error(problem, id="claims.E021"))
            continue
        try:
            stored = semantic.stored_dimensions(alias)
        except DatabaseError as exc:
            problems.append(checks.Error(f"could not read the semantic store: {exc}", id="claims.E021"))
            continue
        if stored is None:
            problems.append(
                checks.Warning(
                    "FACTCHECK_EMBEDDING_MODEL is set but the semantic store does not exist: matching stays lexical.",
                    hint="Run `python manage.py semantic_index`.",
                    id="claims.W020",
                )
            )
        elif model is not None and stored != model.dimensions:
            problems.append(
                checks.Error(
                    f"the stored embeddings have {stored} dimensions and the model gives {model.dimensions}.",
                    hint="Run `python manage.py semantic_index --rebuild`.",
                    id="claims.E022",
                )
            )
    return problems
