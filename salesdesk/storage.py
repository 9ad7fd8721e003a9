"""Static files with hashed, compressed names where `collectstatic` has run, and plain names where
it has not (`manage.py runserver` or `bench` on a checkout that never collected, served from the
finders by WhiteNoise: settings.WHITENOISE_USE_FINDERS)."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name):
        if not self.hashed_files:  # no manifest: never collected here
            return name
        return super().stored_name(name)
