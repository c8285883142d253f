from omenproject.plugins import OmenPlugin


class EmitterConfig(OmenPlugin):
    name = "emitter"
    label = "emitter"
    urls_module = "emitter.urls"
