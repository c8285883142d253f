# A first image: one node, every plugin, SQLite under /data.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OMEN_DATA_DIR=/data
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --uid 10001 omen && mkdir -p /data && chown omen /data
USER omen
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py migrate --noinput --database riskcast && python manage.py collectstatic --noinput -v0 && exec uvicorn omenproject.asgi:application --host 0.0.0.0 --port 8000 --no-access-log"]
