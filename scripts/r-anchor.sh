#!/bin/sh
# R and NHSRwaitinglist for the waiting-list benchmark's R anchor (make bench-r), installed only when
# missing: R and dplyr from Debian; the package from CRAN unless $1 is a checkout's folder.
set -eu
anchor="${1:-library}"
if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(dplyr)' >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "Please install R and dplyr (Debian: r-base-core r-cran-dplyr; needs root and apt-get)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        r-base-core r-cran-dplyr r-cran-rlang r-cran-purrr r-cran-cli >/dev/null
fi
if [ "$anchor" = library ] && ! Rscript -e 'library(NHSRwaitinglist)' >/dev/null 2>&1; then
    Rscript -e 'install.packages("NHSRwaitinglist", repos = "https://cloud.r-project.org")' || {
        echo "CRAN is out of reach: give a checkout of nhs-r-community/NHSRwaitinglist, NHSRWAITINGLIST=DIR" >&2
        exit 1
    }
fi
