# Two stages: "builder" compiles the dependencies into a virtualenv; the final
# stage copies that venv and the code onto a clean slim image with no compilers.
#
#   docker build -t event-manager .                          # production image
#   docker build --build-arg INSTALL_DEV=true -t event-manager:dev .   # + pytest etc.
#
# docker-compose.yml builds with INSTALL_DEV=true so `docker compose exec web pytest` works.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder

ARG INSTALL_DEV=false
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Compilers for any dependency without a wheel; unpinned on purpose so rebuilds get
# Debian's security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /build
COPY requirements.txt requirements-dev.txt ./
RUN pip install -r requirements.txt \
    && if [ "$INSTALL_DEV" = "true" ]; then pip install -r requirements-dev.txt; fi


FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH"

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY . .

# The throwaway key exists for this RUN only: settings refuse to start without one
# when DEBUG is off, and collectstatic never signs anything.
# /app is owned by app so pytest and coverage can write their caches; the code stays
# root-owned. /srv/static is where compose mounts the volume nginx serves from; its
# owner is copied into the fresh named volume.
RUN SECRET_KEY=build-only-not-secret DEBUG=false python manage.py collectstatic --noinput \
    && mkdir -p /srv/static \
    && chown app:app /app /srv/static

USER app

EXPOSE 8000

# slim has no curl. Host is the first ALLOWED_HOSTS entry so the request passes
# Django's host check; X-Forwarded-Proto keeps HTTPS=true from redirecting it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:8000/health', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4)"]

CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "event_manager.wsgi:application"]
