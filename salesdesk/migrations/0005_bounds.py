# The bounds of issue 10 (salesdesk.bounds): decimals bounded by their columns and readable whatever a row holds,
# free text at most 2,000 characters, dates from 1900 to the end of next year. No column changes type.

import salesdesk.bounds
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('salesdesk', '0004_staff_search'),
    ]

    operations = [
        migrations.AlterField(
            model_name='accessrequest',
            name='decision_comment',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='comment'),
        ),
        migrations.AlterField(
            model_name='accessrequest',
            name='reason',
            field=salesdesk.bounds.TextField(max_length=2000, verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='staffprofile',
            name='duties',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='main duties'),
        ),
    ]
