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
# missing or no task data is there at all (see paddlemix/datasets/check_layout.py); 2, with one line
# `error: ...`, for a DOWNLOAD_DIR that is not a folder or an archive that is not a tar file.
set -euo pipefail
die() {
  echo "error: $*" >&2
  exit 2
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOWNLOAD_DIR=${1:-${DATA_DOWNLOAD_DIR:-$PWD}}
DATA_DIR=${DATA_DIR:-$REPO/data}
PYTHON=${PYTHON:-python}

[ -d "$DOWNLOAD_DIR" ] || die "$DOWNLOAD_DIR: no such folder (usage: prepare_data.sh [DOWNLOAD_DIR])"
mkdir -p "$DATA_DIR" || die "$DATA_DIR: cannot create it (set DATA_DIR to a writable folder)"
for name in REC Counting GEO OCR Affordance; do
  archive="$DOWNLOAD_DIR/$name.tar"
  if [ ! -f "$archive" ]; then
    echo "not found: $archive (skipped)"
    continue
  fi
  # The seed's archives hold a top folder named like the archive; one that does not is unpacked into it.
  # Listed whole before anything is unpacked: a truncated or foreign archive stops here, with nothing written.
  listing=$(tar -tf "$archive" 2>/dev/null) || die "$archive: not a readable tar archive (truncated download?)"
  first=$(head -n 1 <<<"$listing")
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

# Detection/, OVD/ and Grounding/ have no prepacked archive: lay them out as check_localization lists (each
# missing part is named with where to get it). Checked only when the folder is there.
status=0
"$PYTHON" -m paddlemix.datasets.check_layout --data-dir "$DATA_DIR" || status=$?
for folder in Detection OVD Grounding; do
  if [ -d "$DATA_DIR/$folder" ]; then
    task=$(echo "$folder" | tr '[:upper:]' '[:lower:]')
    "$PYTHON" -m paddlemix.datasets.check_localization --data-dir "$DATA_DIR" --tasks "$task" || status=1
  fi
done
exit $status
