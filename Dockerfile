FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml constraints.txt README.md ./
COPY consent_store ./consent_store
COPY intake ./intake
COPY anonymiser ./anonymiser
COPY bot ./bot
COPY mail_ingest ./mail_ingest
COPY web ./web
RUN pip install --no-cache-dir -c constraints.txt . && useradd --create-home intake
USER intake
EXPOSE 8080 8025
CMD ["intake", "run"]
