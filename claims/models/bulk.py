"""Many rows in one statement: a COPY on PostgreSQL, bulk_create elsewhere.

As with bulk_create, no save() runs and no signal is sent; the database checks
every constraint.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models, router

# Field types whose Python values COPY takes as they are: get_db_prep_save
# leaves them unchanged on PostgreSQL.
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.FloatField, models.BooleanField)


def _copies_as_is(field: models.Field) -> bool:
    return (
        isinstance(field, _AS_IS)
        or (isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField))
        or (field.is_relation and isinstance(field.target_field, models.IntegerField))
    )


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """Insert rows given as {attname: value}, every other field taking its
    default: ``model.objects.bulk_create([model(**row) for row in rows])``,
    for rows not needed as instances afterwards; in one COPY on PostgreSQL.
    With ``ids``, returns the rows' primary keys in order (on PostgreSQL taken
    from the table's sequence first, as a COPY returns nothing); else [].

    Django's bulk insert builds an instance per row and renders every value
    into the SQL text in Python, which cost more than all the rest extraction
    writes; COPY sends the rows as data. The database checks the same
    constraints either way and, as with bulk_create, no save() runs and no
    signal is sent. Defaults (auto_now included) are taken once for the batch.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    fields = [f for f in opts.concrete_fields if f is not opts.auto_field and not f.generated]
    given = rows[0].keys()
    unknown = given - {f.attname for f in fields}
    if unknown or any(row.keys() != given for row in rows):
        raise ValueError(f"insert_rows: every row needs the same {model.__name__} fields; unknown: {sorted(unknown)}")
    if connection.vendor != "postgresql" or opts.auto_field is None:
        objs = model.objects.bulk_create([model(**row) for row in rows])
        return [obj.pk for obj in objs] if ids else []
    keys = _reserve_keys(connection, model, len(rows)) if ids else []
    # The given fields first, as they come (or prepared one by one when their
    # type needs it), then the defaults, the same for every row.
    template = model()
    given_fields = [f for f in fields if f.attname in given]
    default_fields = [f for f in fields if f.attname not in given]
    defaults = tuple(f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in default_fields)
    names = [f.attname for f in given_fields]
    if all(map(_copies_as_is, given_fields)):
        values = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    else:

        def values(row):
            return tuple(f.get_db_prep_save(row[f.attname], connection) for f in given_fields)

    columns = [*given_fields, *default_fields]
    prepared = (values(row) + defaults for row in rows)
    if keys:
        columns = [opts.auto_field, *columns]
        prepared = ((pk, *row) for pk, row in zip(keys, prepared, strict=True))
    _copy(connection, model, columns, prepared)
    return keys


def insert_objects(objs: Sequence[models.Model]) -> None:
    """``bulk_create(objs)`` for new instances of one model, their primary keys
    set as bulk_create sets them; in one COPY on PostgreSQL, the keys taken from
    the table's sequence first (a COPY returns nothing).

    bulk_create on PostgreSQL sends each column as an array, which psycopg
    builds in Python: for a batch of articles that cost more than the insert.
    As with bulk_create, each field's ``pre_save`` runs (auto_now), ``save()``
    does not, no signal is sent and the database checks every constraint.
    """
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    if (
        connection.vendor != "postgresql"
        or opts.auto_field is None
        or len(objs) == 1  # one INSERT … RETURNING: a round trip fewer than keys, then COPY
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
    ):
        model.objects.bulk_create(objs)
        return
    fields = [f for f in opts.concrete_fields if not f.generated]
    for obj, pk in zip(objs, _reserve_keys(connection, model, len(objs)), strict=True):
        obj.pk = pk

    def prepare(field: models.Field):
        if type(field).pre_save is models.Field.pre_save and _copies_as_is(field):
            return operator.attrgetter(field.attname)  # the value as it is, as pre_save and prep would leave it
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, add=True), connection)

    preparers = [prepare(f) for f in fields]
    _copy(connection, model, fields, (tuple(p(obj) for p in preparers) for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _reserve_keys(connection, model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's sequence, ascending (as
    bulk_create's are, in the order of its rows)."""
    opts = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(opts.db_table), opts.pk.column, count],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


def _copy(connection, model: type[models.Model], fields: list[models.Field], rows: Iterable[tuple]) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    started = time.monotonic()
    count = 0
    # wrap_database_errors: a violated constraint raises Django's IntegrityError, as from bulk_create.
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    if connection.queries_logged:
        # As Django logs its own statements (DEBUG, CaptureQueriesContext).
        connection.queries_log.append({"sql": f"{sql} -- {count} rows", "time": f"{time.monotonic() - started:.3f}"})
