# One image for the web, worker and beat services of docker-compose.yml.
FROM python:3.11-slim-bookworm

# uv from PyPI, pinned to the version that wrote uv.lock.
ARG UV_VERSION=0.13.9

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=mfme.settings.production

# WeasyPrint's system libraries, and an Arabic font for the Arabic PDF reports.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-hosny-amiri \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev

COPY . .

# production.py refuses the development key; this throw-away one exists only for this build step.
RUN MFME_SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 --home-dir /app mfme \
    && mkdir -p /app/var/media \
    && chown -R mfme /app/var
USER mfme

EXPOSE 8000
CMD ["gunicorn", "mfme.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
