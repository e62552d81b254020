"""trdclinic settings: one module, read from the environment.

TRDCLINIC_MODE selects the defaults: `production` (the default: a secret and allowed hosts are
required, cookies are secure, HSTS is on), `local` (make run: a demo secret is allowed) or `test`
(set by pytest from pyproject.toml).
"""

import datetime
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

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
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "records",
    "pseudoresistance",
    "cohort",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks the user verified once a two-factor code was accepted in this session (django-otp's
    # OTPMiddleware, with the devices read along with the user).
    "records.middleware.SignedInOTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After authentication, so it knows whether the response is a signed-in user's.
    "trdclinic.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "trdclinic.middleware.SessionLifetimeMiddleware",
    # Keeps a signed-in user who owes a two-factor code (or an enrolment) on those pages only.
    "records.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so it turns a lock-out flagged anywhere in the request into the sign-in page.
    "axes.middleware.AxesMiddleware",
]

# ASVS 2.2.1: the sign-in is rate limited; axes counts failures first, then Django checks the
# password (axes's backend needs the request, which the sign-in form always passes).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user with their memberships and devices in one query.
    "records.signed_in.SignedInUserBackend",
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
                "pseudoresistance.context_processors.impasse_queue_badge",
                "csp.context_processors.nonce",
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
# The planner's cost of a random page read: PostgreSQL's default (4) models spinning disks; its
# manual suggests 1.1 for solid-state storage or a database that fits in memory, as a clinic's
# does. With the default, a clinic's cases in a group of clinics were found by scanning every
# clinic's (issue 18, bench/README.md "Session 6: the planner's page cost").
_connection_options = _default_db.setdefault("OPTIONS", {})
_connection_options["options"] = " ".join(
    part for part in (_connection_options.get("options", ""), "-c random_page_cost=1.1") if part
)
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

# ASVS 3.3.2 and NIST SP 800-63B 4.2.3 (AAL2): signed out after 30 idle minutes (the cookie's
# age, renewed by requests at most once a minute) and at the latest 12 hours after signing in,
# however active.
SESSION_COOKIE_AGE = env_int("TRDCLINIC_SESSION_IDLE_MINUTES", 30, minimum=5) * 60
SESSION_MAX_AGE_SECONDS = env_int("TRDCLINIC_SESSION_MAX_HOURS", 12, minimum=1) * 60 * 60
# Database sessions (signing out ends them for every worker), read without the ORM's overhead.
SESSION_ENGINE = "trdclinic.sessions"
# Renewed at most once a minute by trdclinic.middleware rather than saved on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# ASVS 3.4.2, 3.4.3: cookies out of reach of scripts and of cross-site requests.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# ASVS 14.4.3-14.4.7: no framing, no MIME sniffing, no full URL (patient ids) to other sites.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# ASVS 14.4.3, 5.3.3: scripts only from our own files, never inline. Style elements: our files
# and the request's nonce; plotly.js writes its chart rules through the CSSOM into a nonce'd
# <style> that base.html provides. Style attributes: plotly.js sets them with setAttribute for
# rich chart text (<b> in the staging chart's titles, hover labels), so they stay allowed; an
# attribute cannot run script or, under img-src/font-src, load anything from elsewhere.
# Bootstrap's CSS draws its select arrows and toggler icon from data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# ASVS 2.2.1 (and NIST SP 800-63B 5.2.2, which allows at most 100): an account is locked after
# 5 failed sign-ins in a row, counted per user name so that a clinic behind one address is not
# locked out as a whole; it unlocks after the cool-off or when a clinic admin unlocks it.
AXES_FAILURE_LIMIT = env_int("TRDCLINIC_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("TRDCLINIC_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns that a lock without the address can be dodged by changing user agent or cookies;
# a lock by user name holds whatever the client sends, and one by address would lock out every
# clinician of a clinic behind one address. Spraying one password over many names is met by the
# password rules instead (12 characters, not a common password: docs/security.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "trdclinic.views.locked_out"
AXES_USERNAME_CALLABLE = "trdclinic.lockout.attempted_username"
# Clinic admins unlock on the Team page, operators in the admin's user list (records/admin.py).
AXES_ENABLE_ADMIN = False
# Failed attempts are stored with the form's fields: a re-entry form's patient fields are masked.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "record_number", "reason"]

# Invitation links are shown to the clinic admin to pass on; they are e-mailed as well only when
# an e-mail backend is configured (no e-mail server needed otherwise: records/views/team.py).
EMAIL_BACKEND = env_str("TRDCLINIC_EMAIL_BACKEND", "")
EMAIL_HOST = env_str("TRDCLINIC_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("TRDCLINIC_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("TRDCLINIC_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("TRDCLINIC_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TRDCLINIC_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("TRDCLINIC_EMAIL_FROM", "trdclinic@localhost")

# Two-factor sign-in (docs/security.md): the name authenticator apps show for the account, and
# django-otp's exponential back-off after each wrong code (1, 2, 4, 8 ... seconds, stored on the
# device, so it survives signing in again), on top of the lock-out above.
OTP_TOTP_ISSUER = "trdclinic"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

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
        # axes announces itself at INFO on every start; its lock-out warnings stay.
        "axes": {"level": "WARNING"},
    },
}
