"""ASGI entry point for uvicorn/gunicorn workers: ``backend.asgi:app``."""

from backend import heap
from backend.app import create_app

app = create_app()
# This process serves the app and nothing else: once started, its heap is settled.
heap.install(app)
