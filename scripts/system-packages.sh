#!/bin/sh
# Debian packages the project needs beyond Python: a Java runtime for the PySpark engine.
# Installs only what is missing, so a machine that has them is left alone.
set -eu
missing=""
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Please install:$missing (needs root and apt-get)" >&2
    exit 1
fi
echo "Installing Debian packages:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
