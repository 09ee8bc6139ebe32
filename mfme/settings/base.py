"""Settings shared by every environment. Every environment variable is read here, and only here."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# --- Core --------------------------------------------------------------------------------------
# The development key is only a default for the embedded mode; production.py refuses to start
# without MFME_SECRET_KEY.
SECRET_KEY = env("MFME_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("MFME_DEBUG", default=False)
ALLOWED_HOSTS = env.list("MFME_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("MFME_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "django_countries",
    "users",
    "institutions",
    "indicators",
    "shariah",
    "scoring",
    "reports",
    "partners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "mfme.urls"
WSGI_APPLICATION = "mfme.wsgi.application"
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
# Embedded default: a SQLite file next to the code. Production / CI: DATABASE_URL=postgres://...
DATABASE_URL = env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'mfme.sqlite3'}")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a (eager) task writes; a generous timeout avoids
    # "database is locked" during the demo load. Transactions begin IMMEDIATE (Django 5.1+):
    # a deferred one that reads and then writes cannot wait for another writer (SQLite refuses
    # at once, "database is locked", rather than risk a deadlock), so parallel API writes failed;
    # taking the write lock at BEGIN makes them wait their turn within the timeout instead.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The covering indexes' INCLUDE columns (institutions/migrations/0006) are for PostgreSQL's
    # index-only scans; SQLite builds the plain index and says so on every command.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DATABASES["default"]["CONN_MAX_AGE"] = env.int("MFME_DB_CONN_MAX_AGE", default=0)
# The portfolio of a large institution is computed in this many parts at once, each on its own
# PostgreSQL connection reading the same snapshot (indicators/portfolio.py); about the number
# of CPU cores of the database server. 1: one statement.
MFME_PORTFOLIO_PARTS = env.int("MFME_PORTFOLIO_PARTS", default=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ------------------------------------------------------------------------------------
# Without REDIS_URL, tasks run eagerly in the calling process (the embedded default).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("MFME_TASK_TIME_LIMIT", default=60 * 30)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Cache -------------------------------------------------------------------------------------
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Files -------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("MFME_STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = env("MFME_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = env("MFME_LANGUAGE_CODE", default="en")
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("MFME_TIME_ZONE", default="UTC")
# Numbers are formatted per locale (fr and ar: comma decimal, space thousands; see mfme/formats).
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["mfme.formats"]

# --- Auth --------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "mfme.api.permissions.ApiClientAccess",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mfme.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "mfme.api.filters.ScopedFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "mfme.api.pagination.ApiCursorPagination",
    "DEFAULT_PARSER_CLASSES": ["mfme.api.parsers.LimitedJsonParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "mfme.api.exception_handler.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["mfme.api.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_client": env("MFME_API_THROTTLE_RATE", default="6000/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mfme API",
    "DESCRIPTION": (
        "Monitoring and evaluation of Islamic microfinance institutions. Partner systems "
        "authenticate with `Authorization: Token <token>`; each token is scoped to one "
        "institution. Every POST accepts an `Idempotency-Key` header. Errors have one shape: "
        '`{"errors": [{"code", "field", "message", "row"?}]}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The API's routes also answer without their trailing slash: document them once.
    "PREPROCESSING_HOOKS": ["mfme.api_router.schema_without_slashless_twins"],
    "ENUM_NAME_OVERRIDES": {
        "ContractTypeEnum": "institutions.models.ContractType",
        "PeriodStatusEnum": "institutions.models.ReportingPeriod.Status",
        "ContractStatusEnum": "institutions.models.FinancingContract.Status",
    },
}

# --- Audit trail -------------------------------------------------------------------------------
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("MFME_LOG_LEVEL", default="INFO")},
}
