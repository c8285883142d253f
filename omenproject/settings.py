"""OMEN's settings: one module, every value from the environment (see docs/configuration.md).

Development defaults run on SQLite with nothing set. ``DEBUG`` off (the production mode)
refuses to start without a real ``SECRET_KEY``.
"""

from __future__ import annotations

from pathlib import Path

from omenproject.config import (
    ConfigError,
    env_bool,
    env_cache,
    env_channel_layer,
    env_db,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
    is_set,
)
from omenproject.keys import parse_prefix
from omenproject.logs import logging_config
from omenproject.plugins import KNOWN_PLUGINS, PluginError, parse_plugins
from omenproject.scopes import SCOPES
from omenproject.throttling_rates import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent

# --- mode and secrets -------------------------------------------------------------------
DEVELOPMENT_SECRET_KEY = "omen-development-only-insecure-key-never-use-in-production-0000"
DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG:
    if not is_set("SECRET_KEY"):
        raise ConfigError("SECRET_KEY", "is required when DEBUG is off")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        raise ConfigError("SECRET_KEY", "is the development default; set a random secret when DEBUG is off")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ConfigError("SECRET_KEY", "is too weak (use at least 50 random characters)")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS", "is required when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- plugins ----------------------------------------------------------------------------
try:
    OMEN_PLUGINS = parse_plugins(env_list("OMEN_PLUGINS", ["all"]))
except PluginError as exc:
    raise ConfigError("OMEN_PLUGINS", str(exc)) from None
OMEN_NODE_ID = env_str("OMEN_NODE_ID", "node-1")

INSTALLED_APPS = [
    "daphne",  # serves `runserver` over ASGI; must come before staticfiles
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files: no CDN
    "channels",
    "django_prometheus",
    "omenproject.apps.OmenProjectConfig",
    *(KNOWN_PLUGINS[name] for name in OMEN_PLUGINS),
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "omenproject.tracing.TraceMiddleware",
    "omenproject.middleware.ApiNotFoundMiddleware",
    "omenproject.middleware.DrainingMiddleware",
    "omenproject.middleware.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "omenproject.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "omenproject.middleware.AuditMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "omenproject.urls"
ASGI_APPLICATION = "omenproject.asgi.application"
WSGI_APPLICATION = "omenproject.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- storage ----------------------------------------------------------------------------
OMEN_DATA_DIR = env_path("OMEN_DATA_DIR", BASE_DIR / "var")
LEDGER_DIR = env_path("LEDGER_DIR", OMEN_DATA_DIR / "ledger")
SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 5000, minimum=0)
DATABASES = {
    "default": env_db("DATABASE_URL", OMEN_DATA_DIR / "omen.sqlite3", busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS),
    "riskcast": env_db(
        "RISKCAST_DATABASE_URL", OMEN_DATA_DIR / "riskcast.sqlite3", busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS
    ),
}
DATABASE_ROUTERS = ["omenproject.routers.ServiceRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env_cache("CACHE_URL")}
CHANNEL_LAYERS = {"default": env_channel_layer("CHANNEL_LAYER_URL")}

# --- HTTP -------------------------------------------------------------------------------
RISKCAST_URL = env_str("RISKCAST_URL", "http://127.0.0.1:8000")
OMEN_MAX_BODY_BYTES = env_int("OMEN_MAX_BODY_BYTES", 1_048_576, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = OMEN_MAX_BODY_BYTES
OMEN_SHUTDOWN_GRACE_S = env_float("OMEN_SHUTDOWN_GRACE_S", 20.0)
# A client past its rate limit is audited once per this window, not once per refused request.
OMEN_AUDIT_THROTTLED_WINDOW_S = env_int("OMEN_AUDIT_THROTTLED_WINDOW_S", 60, minimum=1)

# --- time -------------------------------------------------------------------------------
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", OMEN_DATA_DIR / "static")

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "omenproject.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "omenproject.auth.ApiKeyAuthentication",
        "omenproject.auth.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["omenproject.auth.ScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["omenproject.throttling.ScopeRateThrottle"],
    "UNAUTHENTICATED_USER": None,
    "STRICT_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMEN API",
    "DESCRIPTION": "Risk signals: ledger-first intake, exactly-once delivery to RiskCast, reconcile.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Every operation documents the one error body and the errors any endpoint can answer.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "omenproject.schema.add_error_responses",
    ],
}

# --- security ---------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# The dashboard loads only same-origin files: no inline script, no CDN.
OMEN_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

# --- API keys, rate limits, metrics -----------------------------------------------------
OMEN_BOOTSTRAP_API_KEY = env_str("OMEN_BOOTSTRAP_API_KEY", "")
OMEN_BOOTSTRAP_API_KEY_SCOPES = env_list("OMEN_BOOTSTRAP_API_KEY_SCOPES", list(SCOPES))
if OMEN_BOOTSTRAP_API_KEY and parse_prefix(OMEN_BOOTSTRAP_API_KEY) is None:
    raise ConfigError("OMEN_BOOTSTRAP_API_KEY", "is not an OMEN key (expected omen_<prefix>_<secret>)")
if unknown_scopes := set(OMEN_BOOTSTRAP_API_KEY_SCOPES) - set(SCOPES):
    raise ConfigError("OMEN_BOOTSTRAP_API_KEY_SCOPES", f"unknown scope(s): {', '.join(sorted(unknown_scopes))}")
OMEN_RATE_LIMIT_DEFAULT = env_str("OMEN_RATE_LIMIT_DEFAULT", "1200/min")
OMEN_RATE_LIMITS = dict.fromkeys(SCOPES, OMEN_RATE_LIMIT_DEFAULT) | {
    "public": OMEN_RATE_LIMIT_DEFAULT,
    "anonymous": "120/min",
}
for _item in env_list("OMEN_RATE_LIMITS", []):
    _scope, _, _rate = _item.partition("=")
    if _scope not in OMEN_RATE_LIMITS:
        raise ConfigError("OMEN_RATE_LIMITS", f"unknown scope {_scope!r} in {_item!r}")
    OMEN_RATE_LIMITS[_scope] = _rate
for _scope, _rate in [("OMEN_RATE_LIMIT_DEFAULT", OMEN_RATE_LIMIT_DEFAULT), *OMEN_RATE_LIMITS.items()]:
    try:
        parse_rate(_rate)
    except ValueError as exc:
        raise ConfigError("OMEN_RATE_LIMITS" if _scope != "OMEN_RATE_LIMIT_DEFAULT" else _scope, str(exc)) from None
OMEN_RATE_LIMIT_CACHE = "default"
OMEN_METRICS_ACCESS = env_str("OMEN_METRICS_ACCESS", "key")
if OMEN_METRICS_ACCESS not in {"key", "open"}:
    raise ConfigError("OMEN_METRICS_ACCESS", f"expected 'key' or 'open', got {OMEN_METRICS_ACCESS!r}")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ConfigError("LOG_LEVEL", f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}")
LOGGING = logging_config(LOG_LEVEL)

# --- ledger -----------------------------------------------------------------------------
# Documented in docs/configuration.md (## Ledger). LEDGER_DIR is under "storage" above.
LEDGER_SEGMENT_MAX_BYTES = env_int("LEDGER_SEGMENT_MAX_BYTES", 64 * 1024 * 1024, minimum=64 * 1024)
LEDGER_SEGMENT_MAX_RECORDS = env_int("LEDGER_SEGMENT_MAX_RECORDS", 1_000_000, minimum=1)
LEDGER_MAX_RECORD_BYTES = env_int("LEDGER_MAX_RECORD_BYTES", 1024 * 1024, minimum=1024)
_ledger_record_cap = min(LEDGER_SEGMENT_MAX_BYTES, 64 * 1024 * 1024)  # the format's hard cap
if _ledger_record_cap < LEDGER_MAX_RECORD_BYTES:
    raise ConfigError(
        "LEDGER_MAX_RECORD_BYTES", "must not exceed LEDGER_SEGMENT_MAX_BYTES nor 67108864 (the format's hard cap)"
    )
LEDGER_QUEUE_MAX = env_int("LEDGER_QUEUE_MAX", 10_000, minimum=1)
LEDGER_SEAL_GRACE_S = env_float("LEDGER_SEAL_GRACE_S", 3600.0)
LEDGER_BUSY_RETRY_AFTER_S = env_float("LEDGER_BUSY_RETRY_AFTER_S", 1.0, minimum=0.001)

# --- emitter ----------------------------------------------------------------------------
# Hot-path delivery to RiskCast (emitter/client.py). Timeouts are per attempt and are clamped to
# what is left of EMITTER_RETRY_BUDGET_S, the time one whole delivery may take.
EMITTER_RISKCAST_API_KEY = env_str("EMITTER_RISKCAST_API_KEY", "")
EMITTER_CONNECT_TIMEOUT_S = env_float("EMITTER_CONNECT_TIMEOUT_S", 1.0, minimum=0.001)
EMITTER_READ_TIMEOUT_S = env_float("EMITTER_READ_TIMEOUT_S", 2.0, minimum=0.001)
EMITTER_WRITE_TIMEOUT_S = env_float("EMITTER_WRITE_TIMEOUT_S", 2.0, minimum=0.001)
EMITTER_POOL_TIMEOUT_S = env_float("EMITTER_POOL_TIMEOUT_S", 0.5, minimum=0.001)
EMITTER_MAX_ATTEMPTS = env_int("EMITTER_MAX_ATTEMPTS", 3, minimum=1)
EMITTER_RETRY_BASE_S = env_float("EMITTER_RETRY_BASE_S", 0.05)
EMITTER_RETRY_MAX_S = env_float("EMITTER_RETRY_MAX_S", 1.0)
EMITTER_RETRY_BUDGET_S = env_float("EMITTER_RETRY_BUDGET_S", 5.0, minimum=0.001)
EMITTER_BREAKER_FAILURES = env_int("EMITTER_BREAKER_FAILURES", 5, minimum=1)
EMITTER_BREAKER_COOLDOWN_S = env_float("EMITTER_BREAKER_COOLDOWN_S", 10.0)
EMITTER_BREAKER_PROBE_TIMEOUT_S = env_float("EMITTER_BREAKER_PROBE_TIMEOUT_S", 5.0, minimum=0.001)
EMITTER_BULKHEAD_SIZE = env_int("EMITTER_BULKHEAD_SIZE", 32, minimum=1)
if EMITTER_RISKCAST_API_KEY and parse_prefix(EMITTER_RISKCAST_API_KEY) is None:
    raise ConfigError("EMITTER_RISKCAST_API_KEY", "is not an OMEN key (expected omen_<prefix>_<secret>)")

EMITTER_DRAIN_BATCH = env_int("EMITTER_DRAIN_BATCH", 200, minimum=1)
EMITTER_DRAIN_INTERVAL_S = env_float("EMITTER_DRAIN_INTERVAL_S", 2.0, minimum=0.01)
EMITTER_DRAIN_PENDING_GRACE_S = env_float("EMITTER_DRAIN_PENDING_GRACE_S", 30.0)
EMITTER_DRAIN_IN_PROCESS = env_bool("EMITTER_DRAIN_IN_PROCESS", True)

# --- riskcast ---------------------------------------------------------------------------
RISKCAST_RETRY_AFTER_S = env_int("RISKCAST_RETRY_AFTER_S", 1, minimum=1)
RISKCAST_PAGE_SIZE = env_int("RISKCAST_PAGE_SIZE", 1000, minimum=1)
RISKCAST_MAX_PAGE_SIZE = env_int("RISKCAST_MAX_PAGE_SIZE", 10_000, minimum=1)
if RISKCAST_PAGE_SIZE > RISKCAST_MAX_PAGE_SIZE:
    raise ConfigError("RISKCAST_PAGE_SIZE", f"must not exceed RISKCAST_MAX_PAGE_SIZE ({RISKCAST_MAX_PAGE_SIZE})")
# PostgreSQL: give up on a row lock after this long (-> 503 overloaded), like SQLite's busy timeout.
RISKCAST_LOCK_TIMEOUT_MS = env_int("RISKCAST_LOCK_TIMEOUT_MS", SQLITE_BUSY_TIMEOUT_MS, minimum=0)
if DATABASES["riskcast"]["ENGINE"].endswith("postgresql"):
    DATABASES["riskcast"]["OPTIONS"]["options"] = f"-c lock_timeout={RISKCAST_LOCK_TIMEOUT_MS}"

# --- reconcile --------------------------------------------------------------------------
RECONCILE_BATCH_SIZE = env_int("RECONCILE_BATCH_SIZE", 100, minimum=1)
RECONCILE_MAX_PER_RUN = env_int("RECONCILE_MAX_PER_RUN", 10_000, minimum=1)
RECONCILE_PAGE_SIZE = env_int("RECONCILE_PAGE_SIZE", 5000, minimum=1)
RECONCILE_READ_TIMEOUT_S = env_float("RECONCILE_READ_TIMEOUT_S", 30.0, minimum=0.001)
RECONCILE_INTERVAL_S = env_float("RECONCILE_INTERVAL_S", 60.0, minimum=0.01)
RECONCILE_RISKCAST_API_KEY = env_str("RECONCILE_RISKCAST_API_KEY", "")
if RECONCILE_RISKCAST_API_KEY and parse_prefix(RECONCILE_RISKCAST_API_KEY) is None:
    raise ConfigError("RECONCILE_RISKCAST_API_KEY", "is not an OMEN key (expected omen_<prefix>_<secret>)")
