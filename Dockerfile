# Production image of Salesdesk: gunicorn (web), Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SALESDESK_VAR_DIR=/var/lib/salesdesk
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm gettext fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml package.json package-lock.json ./
RUN pip install --no-cache-dir -e . && npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
 && python manage.py compilemessages -v0 --ignore=node_modules \
 && SECRET_KEY=build python manage.py collectstatic --noinput -v0 \
 && useradd --system --home /app salesdesk && mkdir -p /var/lib/salesdesk && chown -R salesdesk /var/lib/salesdesk
USER salesdesk
EXPOSE 8000
CMD ["gunicorn", "salesdesk.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
