# syntax=docker/dockerfile:1
# Build: docker build -t opendata-sozial .   Run: docker run -p 8000:8000 opendata-sozial
# tests/test_dockerfile.py reproduces these steps without Docker, as an unprivileged user
# (install, publish, serve, the health check): keep them in the forms it understands.

FROM python:3.11-slim AS build
WORKDIR /src
# requirements.lock pins every dependency to the version the test suite ran with (make lock).
COPY pyproject.toml README.md requirements.lock ./
COPY src ./src
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir --constraint requirements.lock .

FROM python:3.11-slim AS runtime
# The service user owns only /app/var (database and caches); code and data stay root's, read-only.
RUN useradd --create-home --uid 10001 ods \
 && install -d -o ods -g ods /app/var
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY catalog ./catalog
COPY datapackages ./datapackages
COPY geography ./geography
ENV PATH=/opt/venv/bin:$PATH \
    ODS_DATABASE_URL=sqlite:////app/var/opendata-sozial.sqlite \
    ODS_BASE_URL=http://localhost:8000
USER ods
# Publish the shipped packages and boundaries into the embedded database at build time (validates first).
RUN opendata-sozial publish datapackages geography
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2).status == 200 else 1)"
CMD ["opendata-sozial", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
