from omenproject.plugins import OmenPlugin


class EmitterConfig(OmenPlugin):
    name = "emitter"
    label = "emitter"
    urls_module = "emitter.urls"
    startup_hooks = ("emitter.drain.start_in_background",)
    shutdown_hooks = ("emitter.drain.stop_background",)
