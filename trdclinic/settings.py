"""trdclinic settings: one module, read from the environment.

TRDCLINIC_MODE selects the defaults: `production` (the default: a secret and allowed hosts are
required, cookies are secure, HSTS is on), `local` (make run: a demo secret is allowed) or `test`
(set by pytest from pyproject.toml).
"""

from pathlib import Path

import dj_database_url

from trdclinic.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

MODE = env_choice("TRDCLINIC_MODE", ("production", "local", "test"), "production")
PRODUCTION = MODE == "production"

# Only local and test runs may fall back to a key that is public in this repository.
_INSECURE_LOCAL_KEY = "local-only-insecure-key-never-used-in-production-1f8b2c7d9e"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", None if PRODUCTION else _INSECURE_LOCAL_KEY)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _INSECURE_LOCAL_KEY):
    raise ConfigurationError(
        "DJANGO_SECRET_KEY must be a random string of at least 50 characters in production."
    )

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigurationError(
        "DJANGO_ALLOWED_HOSTS must list the host names trdclinic is served under in production."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "trdclinic.apps.TrdclinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "records",
    "pseudoresistance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "trdclinic.urls"
WSGI_APPLICATION = "trdclinic.wsgi.application"

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
                "records.context_processors.clinic_navigation",
            ],
        },
    },
]

# Database: DATABASE_URL when set, otherwise the embedded PostgreSQL (docs/adr/0001).
EMBEDDED_POSTGRES_DIR = Path(env_str("TRDCLINIC_PGDATA", str(BASE_DIR / ".pgdata")))
EMBEDDED_POSTGRES_DB = "trdclinic"
_database_url = env_str("DATABASE_URL", "")
if _database_url:
    if not _database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise ConfigurationError(
            "DATABASE_URL must be a PostgreSQL URL such as "
            "postgresql://user:password@host:5432/trdclinic."
        )
    try:
        _default_db = dj_database_url.parse(_database_url, conn_max_age=60)
    except ValueError as error:
        raise ConfigurationError(f"DATABASE_URL could not be read: {error}") from None
    if not _default_db.get("NAME"):
        raise ConfigurationError("DATABASE_URL must name a database after the host.")
else:
    _default_db = {
        "ENGINE": "trdclinic.embedded_postgres",
        "NAME": EMBEDDED_POSTGRES_DB,
        "CONN_MAX_AGE": 60,
    }
_default_db["CONN_HEALTH_CHECKS"] = True
# Parallel test runs on one server (several checkouts, benchmarks) each name their own database.
_default_db["TEST"] = {"NAME": env_str("TRDCLINIC_TEST_DB", "test_trdclinic")}
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if MODE == "test":
    # Hashing at full strength would dominate the suite's run time; strength is not under test.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "records:patient-list"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env_int("TRDCLINIC_SESSION_IDLE_MINUTES", 30, minimum=5) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TRDCLINIC_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic writes here for production; elsewhere the files are served from their sources.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production the files are served straight from the source folders, no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = Path(env_str("TRDCLINIC_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Logs carry identifiers and event types only; clinical payloads never reach a logger.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("TRDCLINIC_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request-error records carry the request (with POST bodies) into the log; keep them out.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "pgserver": {"level": "WARNING"},
        # The chart exporter's browser driver narrates every temporary-folder clean-up at INFO.
        "choreographer": {"level": "WARNING"},
        "kaleido": {"level": "WARNING"},
    },
}
