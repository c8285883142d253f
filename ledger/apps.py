from omenproject.plugins import OmenPlugin


class LedgerConfig(OmenPlugin):
    name = "ledger"
    label = "ledger"
    verbose_name = "Ledger"
    urls_module = "ledger.urls"
    health_checks = ("ledger.health.check_ledger_dir", "ledger.health.check_ledger_writable")
    shutdown_hooks = ("ledger.services.close_ledger",)
