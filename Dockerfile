FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CRS_DATA_DIR=/var/lib/crs
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home /var/lib/crs crs && mkdir -p /var/lib/crs && chown crs /var/lib/crs \
    && DJANGO_DEBUG=1 python manage.py collectstatic --no-input
USER crs
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
