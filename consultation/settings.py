"""Settings for the consultation platform.

Everything comes from the environment (django-environ). With nothing set, the project runs on a
laptop: SQLite, the in-memory channel layer, the local-memory cache and emails on the console.
`DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis. Production mode is the default
(`DEBUG` unset or false): there `SECRET_KEY` and `ALLOWED_HOSTS` must be set, or the process
refuses to start; `make run` and the tests set `DEBUG=true`.
"""

from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE, _FALSE = (
    {"1", "true", "yes", "on", "oui", "vrai"},
    {"0", "false", "no", "off", "non", "faux"},
)


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable; anything but a clear yes or no stops the process (django-environ
    would read "peut-être" as False and quietly switch production mode on)."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in _TRUE | _FALSE:
        return raw in _TRUE
    raise ImproperlyConfigured(
        f"{name}={env.str(name)!r} n'est pas une valeur booléenne : utilisez true ou false."
    )


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} n'est pas un nombre entier.") from None


# Off unless asked for: a deployment that forgets the variable must not show Django's debug
# pages (settings, SQL, source) to the public.
DEBUG = env_bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-never-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
        raise ImproperlyConfigured(
            "SECRET_KEY manquante ou trop courte (50 caractères au moins) alors que DEBUG est "
            "désactivé : définissez la variable d'environnement SECRET_KEY."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
if not DEBUG and not env.list("ALLOWED_HOSTS", default=[]):
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS doit être défini (noms d'hôte séparés par des virgules) quand DEBUG est "
        "désactivé."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# How many reverse proxies in front of the app append to X-Forwarded-For (nginx alone: 1; a TLS
# load balancer then nginx: 2). Rate limits per address use the client address they saw;
# 0 trusts no header (REMOTE_ADDR only), which is right when nothing stands in front.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", default=0)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "widget_tweaks",
    "dsfr",
    # Staff second factor: TOTP apps and single-use recovery codes (consultation/identity).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "consultation",
    "realtime",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "consultation.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "consultation.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "consultation.identity.second_factor.StaffSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Innermost: a database outage raised by a view becomes a French 503 with Retry-After.
    "consultation.outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "consultation.urls"
ASGI_APPLICATION = "consultation.asgi.application"
WSGI_APPLICATION = "consultation.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "frontend.context_processors.layout",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Under ASGI every request runs in a fresh thread, so a persistent connection is never
    # reused: without a pool, each request opens a new PostgreSQL connection (bench/votes).
    if DATABASE_POOL_SIZE := env_int("DATABASE_POOL_SIZE", default=0):
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections instead
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_SIZE,
            "timeout": 10,
        }
else:
    # SQLite: wait for the writer lock instead of failing at once under concurrent requests.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "consultation.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels_redis waits 5 s in BZPOPMIN: a socket timeout above that keeps an
                # idle fan-out listener from timing out (redis-py 8 defaults to 5 s). In the URL,
                # not in a host dict: channels_redis pops keys from a dict host when it builds a
                # pool, so the second event loop's pool would lose the address.
                "hosts": [REDIS_URL + ("&" if "?" in REDIS_URL else "?") + "socket_timeout=15"],
                # One channel per process carries every board event of that process.
                "capacity": 5000,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND",
            default="django_tasks.backends.immediate.ImmediateBackend",
        ),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    # Before ModelBackend: refuses a locked (account, address) before the password is checked.
    "consultation.identity.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:home"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("Anglais"))]
LOCALE_PATHS = [BASE_DIR / "consultation" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Development and tests: WhiteNoise looks files up per request instead of scanning STATIC_ROOT
# each time a handler starts (a test client per test made the suite crawl once collected).
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="concertation@pas-de-calais.gouv.fr")

# Supports and statement votes sent with an API token are answered by one SQL statement,
# outside Django and DRF, on PostgreSQL with Redis (consultation/api/fastvotes.py). false: all
# through Django (same answers, ~35 times the processor time per vote: bench/RESULTS.md).
FAST_VOTES = env_bool("FAST_VOTES", default=True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "consultation.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "consultation.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "consultation.api.throttles.AnonymousRateThrottle",
        "consultation.api.throttles.AccountRateThrottle",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_HOPS,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API de la plateforme de concertation",
    "DESCRIPTION": (
        "Campagnes, phases, thèmes, territoires, contributions, commentaires, soutiens, "
        "affirmations et votes, ateliers et inscriptions, réponses officielles."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" or "visibility" field with different choices.
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "consultation.models.Campaign.Status",
        "AnswerStatusEnum": "consultation.models.OfficialAnswer.Status",
        "CampaignVisibilityEnum": "consultation.models.Campaign.Visibility",
        "ModerationEnum": "consultation.models.contributions.Visibility",
    },
}

# django-dsfr marks the content of its alerts and notices safe unless told otherwise: nothing a
# person typed may ever be rendered unescaped, so its components escape too.
DSFR_CONTENT_IS_SAFE = False

# Security headers. HTTPS settings apply in production only: `manage.py check --deploy` is
# silent with DEBUG off, a real key and hosts set.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # __Host- cookies: the browser keeps them only if Secure, Path=/ and without Domain, so a
    # subdomain (or a plain-HTTP page) cannot plant or overwrite the session or the CSRF token.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None

# Content-Security-Policy on every response (django-csp; consultation/security.py adds a fresh
# nonce to every page and the identity providers' origins to form-action). No inline script
# runs without the nonce, and no template writes one: scripts are static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "report-uri": ["/csp-report/"],
    },
}

# Limits that protect the platform from floods (per person or per address).
RATE_LIMITS = {
    "contribution": env.str("RATE_LIMIT_CONTRIBUTION", default="10/h"),
    "comment": env.str("RATE_LIMIT_COMMENT", default="30/h"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="10/h"),
    "report": env.str("RATE_LIMIT_REPORT", default="20/h"),
    # Live workshops: joining, per address (a town hall's wifi is one address for the whole
    # room, so generous; it stops codes being guessed in bulk); cards sent without JavaScript,
    # per participant (the websocket has its own per-connection limit).
    "live_join": env.str("RATE_LIMIT_LIVE_JOIN", default="200/m"),
    "live_card": env.str("RATE_LIMIT_LIVE_CARD", default="60/m"),
}
# Emails that verify an address (resent links, changes of address): per account, and per
# client address.
RATE_LIMITS["email_verification"] = env.str("RATE_LIMIT_EMAIL_VERIFICATION", default="5/h")
RATE_LIMITS["email_verification_address"] = env.str(
    "RATE_LIMIT_EMAIL_VERIFICATION_ADDRESS", default="30/h"
)
# Live board sockets (realtime/limits.py): commands per participant, all their sockets and
# server processes together; open sockets per address of guests (and of sockets not yet
# identified): one address is a whole room on the town hall's wifi, hence generous.
RATE_LIMITS["live_commands"] = env.str("RATE_LIMIT_LIVE_COMMANDS", default="60/m")
RATE_LIMITS["live_commands_staff"] = env.str("RATE_LIMIT_LIVE_COMMANDS_STAFF", default="300/m")
LIVE_GUEST_SOCKETS_PER_ADDRESS = env_int("LIVE_GUEST_SOCKETS_PER_ADDRESS", default=300)

# Every door that checks a password (login form, admin, API token) shares one policy
# (consultation/identity/throttle.py): failures per (account, address) and per address, in
# fixed windows of seconds. The owner from another address is never locked out. Password reset
# is counted per target email and per address.
LOGIN_THROTTLE = {
    "PAIR_FAILURES": env_int("LOGIN_THROTTLE_PAIR_FAILURES", default=5),
    "PAIR_WINDOW": env_int("LOGIN_THROTTLE_PAIR_WINDOW", default=900),
    "ADDRESS_FAILURES": env_int("LOGIN_THROTTLE_ADDRESS_FAILURES", default=30),
    "ADDRESS_WINDOW": env_int("LOGIN_THROTTLE_ADDRESS_WINDOW", default=3600),
    "RESET_PER_EMAIL": env_int("LOGIN_THROTTLE_RESET_PER_EMAIL", default=3),
    "RESET_PER_ADDRESS": env_int("LOGIN_THROTTLE_RESET_PER_ADDRESS", default=10),
    "RESET_WINDOW": env_int("LOGIN_THROTTLE_RESET_WINDOW", default=3600),
}
# Staff second factor (TOTP): the name shown in the authenticator app; a wrong code doubles the
# wait before the next try (1 s, 2 s, 4 s...), django-otp's own throttling.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Concertation")
OTP_TOTP_THROTTLE_FACTOR = env_int("OTP_TOTP_THROTTLE_FACTOR", default=1)
OTP_STATIC_THROTTLE_FACTOR = env_int("OTP_STATIC_THROTTLE_FACTOR", default=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs each step of every PDF report at INFO ("Step 5 - Creating layout").
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# Sign-in with FranceConnect (residents) and ProConnect (agents), OpenID Connect through
# Authlib (consultation/identity/oidc.py). Each is off until its discovery URL is set;
# docs/deployment.md says how to register and what to declare.
OIDC_PROVIDERS = {
    "franceconnect": {
        "discovery_url": env.str("FRANCECONNECT_DISCOVERY_URL", default=""),
        "client_id": env.str("FRANCECONNECT_CLIENT_ID", default=""),
        "client_secret": env.str("FRANCECONNECT_CLIENT_SECRET", default=""),
        "scopes": env.list(
            "FRANCECONNECT_SCOPES", default=["openid", "given_name", "family_name", "email"]
        ),
        "acr_values": env.list("FRANCECONNECT_ACR", default=["eidas1"]),
    },
    "proconnect": {
        "discovery_url": env.str("PROCONNECT_DISCOVERY_URL", default=""),
        "client_id": env.str("PROCONNECT_CLIENT_ID", default=""),
        "client_secret": env.str("PROCONNECT_CLIENT_SECRET", default=""),
        "scopes": env.list(
            "PROCONNECT_SCOPES",
            default=["openid", "given_name", "usual_name", "email", "uid", "siret"],
        ),
        "acr_values": env.list("PROCONNECT_ACR", default=[]),
    },
}
for _name, _provider in OIDC_PROVIDERS.items():
    if not _provider["discovery_url"]:
        continue
    if not (_provider["client_id"] and _provider["client_secret"]):
        raise ImproperlyConfigured(
            f"{_name.upper()}_DISCOVERY_URL est défini : {_name.upper()}_CLIENT_ID et "
            f"{_name.upper()}_CLIENT_SECRET doivent l'être aussi."
        )
    if not DEBUG and not _provider["discovery_url"].startswith("https://"):
        raise ImproperlyConfigured(f"{_name.upper()}_DISCOVERY_URL doit commencer par https://.")
# ProConnect sign-ins whose acr is one of these count as the staff's second factor.
PROCONNECT_STAFF_ACR = env.list(
    "PROCONNECT_STAFF_ACR",
    default=[
        "https://proconnect.gouv.fr/assurance/self-asserted-2fa",
        "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
    ],
)
