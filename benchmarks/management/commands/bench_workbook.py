"""python manage.py bench_workbook [--rows 100000] [--seed 5]

Writes the workbook that `bench` imports (benchmarks.jobs.write_customers_workbook) and prints its
path. `bench` runs it as a separate process when the workbook is not there yet, so that writing it
costs the import's figures neither time nor memory; run it first to have the file ready.
"""

from django.core.management.base import BaseCommand

from benchmarks.jobs import write_customers_workbook


class Command(BaseCommand):
    help = "Write the customers workbook the import benchmark reads."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=5)

    def handle(self, *args, rows, seed, **options):
        self.stdout.write(str(write_customers_workbook(rows, seed)))
