"""Bulk writes for big loads: PostgreSQL COPY, executemany elsewhere, from plain tuples.

Used by the archive import (tens of thousands of end buyers and purchases in one transaction) and
by the synthetic department of the benchmarks.
"""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection

LOCAL = ZoneInfo("Asia/Shanghai")


def reserve_ids(model, count):
    """`count` primary keys from the table's sequence (PostgreSQL), in one query; None elsewhere."""
    if connection.vendor != "postgresql" or count == 0:
        return None
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def reserved_ids(model, block=5000):
    """Primary keys from the table's sequence (PostgreSQL) as they are taken, reserved `block` at a time."""
    while True:
        yield from reserve_ids(model, block)


class Loader:
    """Writes tuples into a model's table: COPY on PostgreSQL, executemany elsewhere."""

    CHUNK = 20_000  # rows per COPY: the text buffer of a chunk (UCS-4 for Chinese) stays ~10 MB

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def load(self, label, fields, rows):
        model = apps.get_model(label)
        table = model._meta.db_table
        columns = [model._meta.get_field(name).column for name in fields]
        count = 0
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= self.CHUNK:
                self._write(table, columns, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            self._write(table, columns, chunk)
            count += len(chunk)
        return count

    def _write(self, table, columns, rows):
        with connection.cursor() as cursor:
            if self.postgres:
                buffer = io.StringIO()
                buffer.writelines(copy_line(row) for row in rows)
                buffer.seek(0)
                cursor.copy_expert(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN', buffer)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})',
                    [tuple(_sql_value(v) for v in row) for row in rows],
                )

    def timestamp(self, moment):
        """A naive local (Asia/Shanghai) time, stored as UTC like Django stores aware datetimes."""
        utc = moment.replace(tzinfo=LOCAL).astimezone(datetime.timezone.utc)
        return utc.strftime("%Y-%m-%d %H:%M:%S") + ("+00" if self.postgres else "")

    def drop_secondary_indexes(self, labels):
        """PostgreSQL: drop the non-constraint indexes of the big tables; returns their definitions."""
        if not self.postgres:
            return []
        definitions = []
        with connection.cursor() as cursor:
            for label in labels:
                table = apps.get_model(label)._meta.db_table
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f'DROP INDEX "{name}"')
                    definitions.append(definition)
        return definitions

    def create_indexes(self, definitions):
        with connection.cursor() as cursor:
            for definition in definitions:
                cursor.execute(definition)

    def finish(self, labels):
        """Sequences after explicit primary keys; fresh planner statistics."""
        models = [apps.get_model(label) for label in labels]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            cursor.execute("ANALYZE")


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line(values):
    """One row in COPY's text format, with its line end."""
    return "\t".join(_copy_value(v) for v in values) + "\n"


def _copy_value(value):
    """A value in COPY's text format: NULL as \\N, backslash, tab and line ends escaped."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(COPY_ESCAPES)
        return value  # most text: four scans are faster than translate's lookup of every character
    return str(value)


def _sql_value(value):
    if isinstance(value, (datetime.date, Decimal)):
        return str(value)
    return value


