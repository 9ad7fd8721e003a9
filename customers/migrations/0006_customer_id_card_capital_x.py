"""One customer per ID-card number whatever the case of its X (issue 9): numbers on file are
written with a capital X, as normalize_id_card writes them, and a check constraint keeps them so,
which makes the unique index on id_card cover "…x" and "…X" alike. Two customers whose numbers
differ only in the case of the X stop the migration with the numbers to merge by hand."""

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Upper


def capital_x(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    small = Customer.objects.exclude(id_card="").exclude(id_card=Upper("id_card"))
    clashes = sorted(
        number for number in small.values_list("id_card", flat=True)
        if Customer.objects.filter(id_card=number.upper()).exists()
    )
    if clashes:
        raise RuntimeError(f"Customers whose ID-card numbers differ only in the case of the X: {clashes}. Merge them first.")
    small.update(id_card=Upper("id_card"))


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0005_bounds"),
    ]

    operations = [
        migrations.RunPython(capital_x, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.CheckConstraint(
                condition=models.Q(("id_card", django.db.models.functions.text.Upper("id_card"))),
                name="customer_id_card_capital_x", violation_error_message="An ID-card number ends in a capital X.",
            ),
        ),
    ]
