"""PostgreSQL indexes for the moderation queues' search and the analysis dashboard at 100,000 answers.

- Trigram indexes (pg_trgm) on answer and comment text serve the queues' search, a case-insensitive substring
  match that Django writes as UPPER(text) LIKE UPPER('%word%'), so they index UPPER(text).
- The dashboard's latest approved answers (ORDER BY moderated_at DESC NULLS LAST, id DESC) read the first ten
  from an index in that order instead of sorting every approved answer. SQLite cannot declare NULLS LAST in an
  index, which is why this one is not in Answer.Meta.indexes either.

None of them is part of the models' state (the same on every database); on SQLite these operations do nothing.
Reversing drops the indexes and leaves the extension, which other objects may use.
"""

from django.db import migrations

INDEXES = [
    ("answer_text_trgm_idx", 'feedback_answer USING gin (UPPER("text") gin_trgm_ops)'),
    ("comment_text_trgm_idx", 'feedback_comment USING gin (UPPER("text") gin_trgm_ops)'),
    ("answer_latest_moderated_idx", 'feedback_answer ("status", "moderated_at" DESC NULLS LAST, "id" DESC)'),
]


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f'CREATE INDEX "{name}" ON {definition}')


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0014_field_names_for_people"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
