# The bounds of issue 10 (salesdesk.bounds): decimals bounded by their columns and readable whatever a row holds,
# free text at most 2,000 characters, dates from 1900 to the end of next year. No column changes type.

import django.core.validators
import salesdesk.bounds
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0004_search'),
    ]

    operations = [
        migrations.AlterField(
            model_name='customer',
            name='acreage_mu',
            field=salesdesk.bounds.DecimalField(blank=True, decimal_places=1, max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='acreage (mu)'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='machinery',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='machinery owned'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='notes',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='notes'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='agreement_signed_on',
            field=models.DateField(blank=True, null=True, validators=[salesdesk.bounds.SaneDate()], verbose_name='agreement signed on'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='annual_sales',
            field=salesdesk.bounds.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='annual sales (yuan)'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='business_scope',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='business scope'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='notes',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='notes'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='opening_date',
            field=models.DateField(blank=True, null=True, validators=[salesdesk.bounds.SaneDate()], verbose_name='opening date'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='return_reason',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='reason for return'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='review_comment',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='review comment'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='store_area',
            field=salesdesk.bounds.DecimalField(blank=True, decimal_places=1, max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='store area (m²)'),
        ),
        migrations.AlterField(
            model_name='dealer',
            name='survey_date',
            field=models.DateField(blank=True, null=True, validators=[salesdesk.bounds.SaneDate()], verbose_name='survey date'),
        ),
        migrations.AlterField(
            model_name='document',
            name='document_date',
            field=models.DateField(validators=[salesdesk.bounds.SaneDate()], verbose_name='document date'),
        ),
        migrations.AlterField(
            model_name='document',
            name='notes',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='notes'),
        ),
        migrations.AlterField(
            model_name='documentversion',
            name='change_note',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='change note'),
        ),
        migrations.AlterField(
            model_name='gradechange',
            name='reason',
            field=salesdesk.bounds.TextField(blank=True, max_length=2000, verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='purchase',
            name='amount',
            field=salesdesk.bounds.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(0)], verbose_name='amount (yuan)'),
        ),
        migrations.AlterField(
            model_name='purchase',
            name='date',
            field=models.DateField(validators=[salesdesk.bounds.SaneDate()], verbose_name='purchase date'),
        ),
        migrations.AlterField(
            model_name='purchase',
            name='quantity',
            field=models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1), salesdesk.bounds.AtMost(100000)], verbose_name='quantity'),
        ),
        migrations.AlterField(
            model_name='purchase',
            name='unit_price',
            field=salesdesk.bounds.DecimalField(decimal_places=2, max_digits=12, validators=[django.core.validators.MinValueValidator(0)], verbose_name='unit price (yuan)'),
        ),
    ]
