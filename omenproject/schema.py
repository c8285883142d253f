"""OpenAPI descriptions of the project's authentication (loaded by the platform app)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "omenproject.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An OMEN API key: `Bearer omen_<prefix>_<secret>`."}


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "omenproject.auth.StaffSessionAuthentication"
    name = "StaffSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
