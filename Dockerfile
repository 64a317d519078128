# syntax=docker/dockerfile:1
# Octroi image: API and dashboard (same image, different command).
# Stage 1 builds wheels with a compiler; the final image has no compiler and runs as a
# non-root user.

FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY backend ./backend
COPY frontend ./frontend
COPY ml ./ml
COPY security ./security
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt .

# Optional: bake a model bundle trained on synthetic data into the image
# (docker build --build-arg BAKE_MODEL=1). Otherwise mount one at /srv/octroi/model.
FROM build AS model
ARG BAKE_MODEL=0
RUN pip install --no-cache-dir --no-index --find-links /wheels octroi \
    && mkdir -p /model \
    && if [ "$BAKE_MODEL" = "1" ]; then \
         octroi data synth --rows 50000 --seed 7 --out /tmp/data \
         && octroi train --data /tmp/data --out /model; \
       fi

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    OCTROI_ENV=production OCTROI_VAR_DIR=/srv/octroi/var OCTROI_MODEL_DIR=/srv/octroi/model \
    OCTROI_MIGRATIONS_DIR=/srv/octroi/alembic
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system octroi && useradd --system --gid octroi --home /srv/octroi octroi
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels octroi && rm -rf /wheels
WORKDIR /srv/octroi
COPY alembic ./alembic
COPY --from=model --chown=octroi:octroi /model ./model
RUN mkdir -p var registry witness && chown -R octroi:octroi /srv/octroi
USER octroi
EXPOSE 8000 8501
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
CMD ["gunicorn", "backend.asgi:app", "--worker-class", "uvicorn_worker.UvicornWorker", \
     "--workers", "2", "--bind", "0.0.0.0:8000", "--graceful-timeout", "20"]
