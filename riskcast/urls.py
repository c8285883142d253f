app_name = "riskcast"
urlpatterns: list = []
