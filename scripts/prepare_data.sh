#!/usr/bin/env bash
# Unpack the seed's prepacked archives REC.tar, Counting.tar and GEO.tar (and OCR.tar, Affordance.tar, packed by
# `python -m paddlemix.datasets.synthetic --task ocr|affordance --tar` or by you) into data/, then check the layout:
# every annotation's image exists, sample counts per split, and what is missing with where to get it.
#
#   bash scripts/prepare_data.sh [DOWNLOAD_DIR]
#
# DOWNLOAD_DIR (or $DATA_DOWNLOAD_DIR) holds the archives; default: the current directory.
# DATA_DIR is where they are unpacked; default: data/ in this repository. Archives not found are skipped.
# Exit status is the checker's: 0 when every unpacked task is complete, 1 when images or files are
# missing or no task data is there at all (see paddlemix/datasets/check_layout.py).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOWNLOAD_DIR=${1:-${DATA_DOWNLOAD_DIR:-$PWD}}
DATA_DIR=${DATA_DIR:-$REPO/data}
PYTHON=${PYTHON:-python}

mkdir -p "$DATA_DIR"
for name in REC Counting GEO OCR Affordance; do
  archive="$DOWNLOAD_DIR/$name.tar"
  if [ ! -f "$archive" ]; then
    echo "not found: $archive (skipped)"
    continue
  fi
  # The seed's archives hold a top folder named like the archive; one that does not is unpacked into it.
  first=$(tar -tf "$archive" | head -n 1 || true)
  first=${first#./}
  if [ "${first%%/*}" = "$name" ]; then
    dest="$DATA_DIR"
  else
    dest="$DATA_DIR/$name"
    mkdir -p "$dest"
  fi
  echo "unpacking $archive -> $DATA_DIR/$name"
  tar -xf "$archive" -C "$dest"
done

exec "$PYTHON" -m paddlemix.datasets.check_layout --data-dir "$DATA_DIR"
