app_name = "reconcile"
urlpatterns: list = []
