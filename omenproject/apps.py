from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class OmenProjectConfig(AppConfig):
    name = "omenproject"
    verbose_name = "OMEN platform"

    def ready(self) -> None:
        from omenproject import schema  # noqa: F401 - registers the OpenAPI auth extensions

        # SQLite cannot create the folder of its file: make the data folders on start.
        Path(settings.OMEN_DATA_DIR).mkdir(parents=True, exist_ok=True)
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        for database in settings.DATABASES.values():
            if database["ENGINE"].endswith("sqlite3") and not str(database["NAME"]).startswith((":memory:", "file:")):
                Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
