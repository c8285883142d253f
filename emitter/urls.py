app_name = "emitter"
urlpatterns: list = []
