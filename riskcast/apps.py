from omenproject.plugins import OmenPlugin


class RiskcastConfig(OmenPlugin):
    name = "riskcast"
    label = "riskcast"
    urls_module = "riskcast.urls"
