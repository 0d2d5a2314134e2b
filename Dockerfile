# Production image: the Django project served by Daphne (HTTP and websockets), static files
# collected at build time. Runs as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 concertation

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Build-time settings only: production mode needs a key and hosts even to collect files.
RUN export DEBUG=false ALLOWED_HOSTS=build \
        SECRET_KEY=collectstatic-pendant-la-construction-de-l-image-seulement-0123456789 \
    && if find consultation frontend realtime -name '*.po' | grep -q .; then \
           python manage.py compilemessages --ignore=.venv; \
       fi \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/media /srv/static \
    && chown -R concertation:concertation /app/media /srv/static

USER concertation
EXPOSE 8000

CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "consultation.asgi:application"]
