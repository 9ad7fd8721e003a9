"""The staff archive's search column: each profile's name, its pinyin and its initials
(salesdesk.search), filled for the profiles on file. The table is small: no index."""

from django.db import migrations, models

from salesdesk.search import fill_column


def fill(apps, schema_editor):
    fill_column(apps.get_model("salesdesk", "StaffProfile"), ["name"], connection=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("salesdesk", "0003_import_job_claims"),
    ]

    operations = [
        migrations.AddField(
            model_name="staffprofile",
            name="search",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
