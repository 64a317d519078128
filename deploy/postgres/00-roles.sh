#!/bin/sh
# Runs once when the database volume is created (docker-entrypoint-initdb.d).
# octroi_owner owns the schema and runs the migrations; octroi_app is what the API uses
# (`octroi db grant-app-role octroi_app`, run by the migrate service, leaves it only SELECT
# and INSERT on the audit tables).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v owner_pw="$OCTROI_OWNER_DB_PASSWORD" -v app_pw="$OCTROI_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE octroi_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE octroi_app LOGIN PASSWORD :'app_pw';
GRANT ALL ON SCHEMA public TO octroi_owner;
GRANT USAGE ON SCHEMA public TO octroi_app;
SQL
