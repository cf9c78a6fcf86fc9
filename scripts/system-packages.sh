#!/bin/sh
# Debian packages the project needs beyond Python, installed only when missing:
#   a Java runtime (the PySpark engine), Node.js and npm (the web's NHS.UK frontend and htmx),
#   PostgreSQL (the app database's second engine, tested), Chromium (the browser tests).
set -eu
missing=""
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Please install:$missing (needs root and apt-get)" >&2
    exit 1
fi
echo "Installing Debian packages:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
