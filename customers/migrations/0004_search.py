"""Search by fragment (issue 9): a search column on customers and dealers (salesdesk.search:
each name, its pinyin and its initials), filled for the rows on file, and on PostgreSQL the
indexes that serve every kind of fragment (the figures: "Search" in docs/benchmarks.md):

- pg_trgm GIN on the search column (a name's fragment of 3 characters or more), on the phones
  with their dashes left out (4+ digits: 尾号), on the ID-card number (4+ characters) and the
  dossier numbers;
- for a customer's fragments of 1–2 characters (a surname, a given name, initials such as zs),
  which give trigrams nothing to look up, a generated column of the search text's characters and
  character pairs (`salesdesk_short_grams`, salesdesk migration 0002) with a GIN index: a stored
  array, because computing it for each row a scan reads (5 µs) costs more than the scan.

Dealers are a few thousand rows: their fragments of 1–2 characters are found by a scan (~1 ms).
SQLite gets the column and no index: it scans.
"""

from django.db import migrations, models

from salesdesk.search import fill_column

CUSTOMERS, DEALERS = "customers_customer", "customers_dealer"
INDEXES = [
    ("customer_search_trgm", CUSTOMERS, "search gin_trgm_ops"),
    ("customer_search_pieces", CUSTOMERS, "search_pieces"),
    ("customer_phone_trgm", CUSTOMERS, "replace(phone, '-', '') gin_trgm_ops"),
    ("customer_id_card_trgm", CUSTOMERS, "id_card gin_trgm_ops"),
    ("dealer_search_trgm", DEALERS, "search gin_trgm_ops"),
    ("dealer_contact_phone_trgm", DEALERS, "replace(contact_phone, '-', '') gin_trgm_ops"),
    ("dealer_legal_rep_phone_trgm", DEALERS, "replace(legal_rep_phone, '-', '') gin_trgm_ops"),
    ("dealer_principal_phone_trgm", DEALERS, "replace(principal_phone, '-', '') gin_trgm_ops"),
    # digits are also looked for in the dossier numbers: with these, the OR of it all is a BitmapOr
    ("dealer_resource_number_trgm", DEALERS, "resource_number gin_trgm_ops"),
    ("dealer_card_number_trgm", DEALERS, "card_number gin_trgm_ops"),
]


def add_pieces_column(apps, schema_editor):
    """Before the fill: the column is computed as the fill writes each row (added after it, the
    table and its indexes would be rewritten once more)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {CUSTOMERS} ADD COLUMN search_pieces text[] "
            "GENERATED ALWAYS AS (salesdesk_short_grams(search)) STORED"
        )


def drop_pieces_column(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {CUSTOMERS} DROP COLUMN IF EXISTS search_pieces")


def fill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":  # foreign keys checked as rows are updated: no trigger
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # events left pending for CREATE INDEX
    fill_column(apps.get_model("customers", "Customer"), ["name"], connection=connection)
    fill_column(apps.get_model("customers", "Dealer"), ["company", "contact", "legal_rep", "principal"], connection=connection)
    if connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")
    # The planner's estimate of a LIKE '%…%' comes from the column's histogram: with 1,000 entries
    # instead of 100, a rare fragment (pjp: 146 of 500,000) is known to be rare and read through
    # its index, not by walking the ids backwards (17 ms).
    # Likewise the pieces' most common elements: with 100, a pair found 26 times (洋浩) was thought
    # to be there 457 times, and the quick search's 11 newest were looked for by walking the ids
    # backwards (410 ms); with 1,000 it is thought rare (46) and read through its index (0.2 ms).
    schema_editor.execute(f"ALTER TABLE {CUSTOMERS} ALTER COLUMN search SET STATISTICS 1000")
    schema_editor.execute(f"ALTER TABLE {CUSTOMERS} ALTER COLUMN search_pieces SET STATISTICS 1000")
    schema_editor.execute(f"ANALYZE {CUSTOMERS}")
    schema_editor.execute(f"ANALYZE {DEALERS}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0003_list_sort_indexes"),
        ("salesdesk", "0002_audit_page_indexes"),  # salesdesk_short_grams, pg_trgm
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="search",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="dealer",
            name="search",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(add_pieces_column, drop_pieces_column, elidable=False),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
