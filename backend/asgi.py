"""ASGI entry point for uvicorn/gunicorn workers: ``backend.asgi:app``."""

from backend.app import create_app

app = create_app()
