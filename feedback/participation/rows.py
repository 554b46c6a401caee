"""Model instances read with a hand-written SELECT, for the few queries every participant request makes.

The ORM builds and compiles a query anew on every call: for the participant lookup (a participant, their
response and their consultation) that was some 6,000 Python function calls and 3 ms of CPU, against about 300
calls for the same row read here (docs/PERFORMANCE.md). The SQL is written once per process from the models'
own metadata (table and column names, quoted by the database's rules), its values pass as parameters only, and
each column is converted as the ORM converts it (the database backend's converters, then the field's
from_db_value), so the instances are the ones the ORM would have built. tests/test_participant_lookup.py
compares them with the ORM's for every case the pages distinguish.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model


class Columns:
    """Some (or all) concrete fields of a model, read under one table alias of a SELECT."""

    def __init__(self, model: type[Model], alias: str, fields: Sequence[str] | None = None) -> None:
        self.model = model
        self.alias = alias
        opts = model._meta
        chosen = [opts.get_field(name) for name in fields] if fields else list(opts.concrete_fields)
        if opts.pk not in chosen:
            chosen.insert(0, opts.pk)
        self.fields = chosen
        self.attnames = [field.attname for field in chosen]
        # Per database alias: [(position, converters, expression)] of the columns that need converting.
        self._converters: dict[str, list[tuple[int, list[Any], Any]]] = {}
        self._where_sql: dict[tuple[str, tuple[str, ...]], str] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def sql(self, using: str) -> str:
        quote = connections[using].ops.quote_name
        return ", ".join(f"{quote(self.alias)}.{quote(field.column)}" for field in self.fields)

    def table(self, using: str) -> str:
        quote = connections[using].ops.quote_name
        return f"{quote(self.model._meta.db_table)} {quote(self.alias)}"

    def column(self, name: str, using: str) -> str:
        quote = connections[using].ops.quote_name
        return f"{quote(self.alias)}.{quote(self.model._meta.get_field(name).column)}"

    def converters(self, using: str) -> list[tuple[int, list[Any], Any]]:
        found = self._converters.get(using)
        if found is None:
            # As SQLCompiler.get_converters: the backend's converters, then the expression's (the field's).
            connection = connections[using]
            found = []
            for position, field in enumerate(self.fields):
                expression = field.get_col(self.alias)
                chain = connection.ops.get_db_converters(expression) + expression.get_db_converters(
                    connection
                )
                if chain:
                    found.append((position, chain, expression))
            self._converters[using] = found
        return found

    def convert(self, values: Sequence[Any], using: str) -> list[Any]:
        """A row's values as the ORM converts them (the backend's converters, then the field's)."""
        values = list(values)
        connection = connections[using]
        for position, chain, expression in self.converters(using):
            value = values[position]
            for converter in chain:
                value = converter(value, expression, connection)
            values[position] = value
        return values

    def build(self, values: Sequence[Any], using: str) -> Model:
        """The instance of these columns' values, as the ORM builds it (Model.from_db)."""
        return self.model.from_db(using, self.attnames, self.convert(values, using))

    def values_where(self, using: str, order_by: str, **equal: Any) -> list[list[Any]]:
        """The columns' values (converted as the ORM converts them) of the rows whose fields equal these values,
        ordered by the field `order_by`: for pages that need the values, not model instances."""
        names = tuple(equal)
        sql = self._where_sql.get((using, (*names, "order by", order_by)))
        if sql is None:
            conditions = " AND ".join(f"{self.column(name, using)} = %s" for name in names)
            # Names from the model, quoted; the values are parameters.
            sql = (
                f"SELECT {self.sql(using)} FROM {self.table(using)} WHERE {conditions} "  # noqa: S608  # nosec B608
                f"ORDER BY {self.column(order_by, using)}"
            )
            self._where_sql[(using, (*names, "order by", order_by))] = sql
        with connections[using].cursor() as cursor:
            cursor.execute(sql, list(equal.values()))
            return [self.convert(row, using) for row in cursor.fetchall()]

    def where(self, using: str, **equal: Any) -> list[Model]:
        """The instances of the rows whose fields equal these values (no ordering)."""
        names = tuple(equal)
        sql = self._where_sql.get((using, names))
        if sql is None:
            conditions = " AND ".join(f"{self.column(name, using)} = %s" for name in names)
            # Names from the model, quoted; the values are parameters.
            sql = f"SELECT {self.sql(using)} FROM {self.table(using)} WHERE {conditions}"  # noqa: S608  # nosec B608
            self._where_sql[(using, names)] = sql
        with connections[using].cursor() as cursor:
            cursor.execute(sql, list(equal.values()))
            rows = cursor.fetchall()
        return [self.build(row, using) for row in rows]
