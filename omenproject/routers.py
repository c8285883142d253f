"""Route the riskcast app to its own database; everything else lives on ``default``."""

RISKCAST_ALIAS = "riskcast"
RISKCAST_APPS = frozenset({"riskcast"})


class ServiceRouter:
    def db_for_read(self, model, **hints):
        return RISKCAST_ALIAS if model._meta.app_label in RISKCAST_APPS else "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        same_side = (obj1._meta.app_label in RISKCAST_APPS) == (obj2._meta.app_label in RISKCAST_APPS)
        return same_side or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label in RISKCAST_APPS:
            return db == RISKCAST_ALIAS
        return db == "default"
