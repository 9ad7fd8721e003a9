import time

from django.core.management.base import BaseCommand, CommandError

from benchmarks.synthetic import AT_SCALE_1, Department, scaled
from benchmarks.synthetic import reset as empty_archives
from customers.models import Customer
from salesdesk.models import Region


class Command(BaseCommand):
    help = (
        "Build a synthetic department in the configured database. At scale 1: "
        + ", ".join(f"{n:,} {name}" for name, n in AT_SCALE_1.items())
        + ". Reproducible from --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1 = real size; 0.01 for a quick run")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--reset", action="store_true", help="empty the archive tables first (required if they hold data)")

    def handle(self, *args, scale, seed, reset: bool, **options):
        if scale <= 0 or scale > 10:
            raise CommandError("--scale must be above 0 and at most 10.")
        if not reset and (Region.objects.exists() or Customer.objects.exists()):
            raise CommandError("The archives already hold data. Use --reset to empty them first (this deletes them).")
        counts = scaled(scale)
        self.stdout.write(f"Building a department at scale {scale}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        started = time.perf_counter()
        if reset:
            empty_archives()
        written = Department(scale=scale, seed=seed, log=self.stdout.write).build()
        self.stdout.write(self.style.SUCCESS(
            f"Done in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{v:,} {k}" for k, v in written.items() if k != "seconds")
        ))
