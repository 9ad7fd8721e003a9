from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """Synthetic data of real size and the benchmark command (no models of its own)."""

    name = "benchmarks"
