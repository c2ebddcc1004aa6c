"""Claim matching beyond English (issue 20): ``match_document`` is the tsvector of
the row's own language, not always English.

PostgreSQL accepts a generated column only when its expression is immutable:
``to_tsvector(regconfig, text)`` is, but turning the ``language`` text into a
regconfig (``language::regconfig``) is not (it reads the catalogue and the
search path), so the column picks its configuration with a CASE over
regconfig constants instead, resolved once when the column is made. The
table is ``CONFIGS`` below, a copy of ``claims.matching.text.CONFIGS`` as it
stood (a test keeps the two equal): a language added there needs a new
migration like this one. An empty language is English, as every row was
before; a language with no configuration is split into lower-cased words
(``simple``).

PostgreSQL 15 cannot change a generated column's expression, so the column
is dropped and added again: every row is rewritten and the GIN index rebuilt,
once. SQLite gets nothing here: it matches from an in-process index.
"""

from django.db import migrations

CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
STATISTICS_TARGET = 1000  # as migration 0013


def config_expression(configs: dict[str, str]) -> str:
    """The SQL of the row's text-search configuration, as ``text.config_for`` reads ``language``."""
    code = "split_part(replace(lower(btrim(language)), '_', '-'), '-', 1)"
    cases = " ".join(f"WHEN '{tag}' THEN '{name}'::regconfig" for tag, name in sorted(configs.items()))
    return f"CASE {code} WHEN '' THEN 'english'::regconfig {cases} ELSE 'simple'::regconfig END"


def document_sql(table: str, text: str, config: str) -> list[str]:
    return [
        f"ALTER TABLE {table} DROP COLUMN IF EXISTS match_document",
        f"ALTER TABLE {table} ADD COLUMN match_document tsvector GENERATED ALWAYS AS (to_tsvector({config}, {text})) STORED",
        f"ALTER TABLE {table} ALTER COLUMN match_document SET STATISTICS {STATISTICS_TARGET}",
    ]


def statements(config: str) -> list[str]:
    # The index settings are migration 0013's: claims arrive in bursts (pending list on),
    # imported reviews in bulk and are searched far more than written (off).
    return [
        *document_sql("claims_claim", "text", config),
        *document_sql("claims_externalreview", "claim_reviewed || ' ' || title", config),
        "CREATE INDEX claim_match_document ON claims_claim USING gin (match_document) WITH (fastupdate = on)",
        "CREATE INDEX extreview_match_document ON claims_externalreview USING gin (match_document) "
        "WITH (fastupdate = off)",
    ]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements(config_expression(CONFIGS)):
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements("'english'::regconfig"):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0024_claim_scorer"),
    ]

    operations = [
        migrations.RunPython(forward, reverse),
    ]
