"""WSGI entry point: `gunicorn wsgi:app` (APP_ENV=production in a deployment)."""

from app import create_app

app = create_app()
