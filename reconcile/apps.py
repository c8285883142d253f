from omenproject.plugins import OmenPlugin


class ReconcileConfig(OmenPlugin):
    name = "reconcile"
    label = "reconcile"
    urls_module = "reconcile.urls"
