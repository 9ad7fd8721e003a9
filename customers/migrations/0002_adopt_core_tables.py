"""Regions and import jobs moved from the archives into the core (salesdesk), data kept.

A database created before the move has the tables `customers_region`,
`customers_region_developers` and `customers_importjob`, and a migration history whose
`salesdesk.0001_initial` / `customers.0001_initial` are already recorded as applied. The core's
migrations now create `salesdesk_region` and `salesdesk_importjob` themselves (so the core needs
no app to migrate), which such a database never ran: this step renames the old tables to the
core's names, with every row and every foreign key that points at them kept, and moves their
content types so that audit entries and permissions keep pointing at the same records.

On a new database the old tables do not exist and this step does nothing.
"""

from django.db import migrations, models

MOVES = [
    ("customers_region", "salesdesk_region"),
    ("customers_region_developers", "salesdesk_region_developers"),
    ("customers_importjob", "salesdesk_importjob"),
]
MODELS = ["region", "importjob"]


def adopt(apps, schema_editor):
    connection = schema_editor.connection
    tables = set(connection.introspection.table_names())
    quote = schema_editor.quote_name
    moved = False
    for old, new in MOVES:
        if old in tables and new not in tables:
            schema_editor.execute(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}")
            moved = True
    if not moved:
        return
    # The import kind grew from 10 to 20 characters when the kinds became a registry.
    ImportJob = apps.get_model("salesdesk", "ImportJob")
    new_field = ImportJob._meta.get_field("kind")
    old_field = models.CharField(max_length=10)
    old_field.set_attributes_from_name("kind")
    old_field.model = ImportJob
    schema_editor.alter_field(ImportJob, old_field, new_field)

    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="salesdesk", model=model).exists():
            ContentType.objects.filter(app_label="customers", model=model).update(app_label="salesdesk")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("salesdesk", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
