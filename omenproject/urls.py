"""Compose the URLs of the platform and of every enabled plugin (never hard-wired)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from omenproject import apis, errors, health
from omenproject.plugins import enabled_plugins

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="omen/api_docs.html"),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("metrics", apis.MetricsApi.as_view(), name="metrics"),
]
urlpatterns += [path("", include(plugin.urls_module)) for plugin in enabled_plugins() if plugin.urls_module]


def _json_404(request, exception=None):
    return errors.json_error_response(404, "not_found", "Not found.")


def _json_500(request):
    return errors.json_error_response(500, "internal_error", "An internal error occurred.")


handler404 = _json_404
handler500 = _json_500
