#!/usr/bin/env bash
# Collect every wheel a classroom needs, so a room without internet installs from a folder.
#
#   tools/wheelhouse.sh [--dry-run] [--dest DIR] [--extras lab] [--python-version 3.11]
#                       [--weights FILE]                            (or: make wheelhouse)
#
# On a machine WITH internet, this builds the nststudy wheel (python -m build) and downloads
# the wheels of all its dependencies (TensorFlow, Keras, JupyterLab ...: 133 wheels, about
# 0.5 GB) for Linux x86_64 and CPython 3.11 into wheelhouse/, plus the VGG19 weights (80 MB)
# when they are installed here (make wheelhouse runs 'nststudy weights install' first). The
# wheels hold no notebooks: copy the checkout with wheelhouse/ in it (at least wheelhouse/ and
# notebooks/) to a USB stick; on each classroom machine (Python 3.11), in a copy of that folder:
#
#   python3.11 -m venv nst && . nst/bin/activate
#   pip install --no-index --find-links wheelhouse "nststudy[lab]"
#   nststudy weights install wheelhouse/weights/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5
#   jupyter lab notebooks
#
# --dry-run prints the commands without running them. --python-version 3.12 targets another
# Python; pip evaluates dependency markers with the Python running this script, so run it with
# the classroom's Python version (and on Linux x86_64) for an exact set.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
DEST="$ROOT/wheelhouse"
EXTRAS="lab"
PYVER="3.11"
PLATFORM="x86_64"
WEIGHTS=""
DRY=0

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --dest) DEST="$2"; shift ;;
    --extras) EXTRAS="$2"; shift ;;
    --python-version) PYVER="$2"; shift ;;
    --platform) PLATFORM="$2"; shift ;;
    --weights) WEIGHTS="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "wheelhouse.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# pip evaluates nststudy's dependency markers (tensorflow-cpu on Linux x86_64, tensorflow
# elsewhere) for the machine running it, not for --platform: built elsewhere, the wheelhouse
# would hold the wrong TensorFlow and fail offline in class.
if [ "$PLATFORM" = x86_64 ] && [ "$(uname -sm)" != "Linux x86_64" ] && [ "$DRY" = 0 ]; then
  echo "wheelhouse.sh: run this on Linux x86_64 (this is $(uname -sm)): the dependency" \
    "markers are evaluated for this machine, not for the classroom's" >&2
  exit 2
fi

case "$PLATFORM" in
  x86_64) PLATFORMS=(manylinux2014_x86_64 manylinux_2_17_x86_64 manylinux_2_27_x86_64 manylinux_2_28_x86_64 linux_x86_64) ;;
  *) PLATFORMS=("$PLATFORM") ;;
esac
ABI="cp${PYVER/./}"

run() {
  printf '+'; printf ' %q' "$@"; printf '\n'
  if [ "$DRY" = 0 ]; then "$@"; fi
}

run mkdir -p "$DEST"
# 1. nststudy itself (no build isolation: the build backend comes from this environment)
run "$PYTHON" -m build --wheel --no-isolation --outdir "$DEST" "$ROOT"
if [ "$DRY" = 0 ]; then
  WHEEL="$(ls -t "$DEST"/nststudy-*.whl | head -n 1)"
else
  WHEEL="$DEST/nststudy-VERSION-py3-none-any.whl"
fi
# 2. every dependency, as binary wheels for the classroom's platform and Python
PLATFORM_ARGS=()
for p in "${PLATFORMS[@]}"; do PLATFORM_ARGS+=(--platform "$p"); done
run "$PYTHON" -m pip download --dest "$DEST" --only-binary=:all: \
  "${PLATFORM_ARGS[@]}" --python-version "$PYVER" --implementation cp --abi "$ABI" --abi abi3 \
  --abi none "${WHEEL}[${EXTRAS}]" pip
# 3. the VGG19 weights, when this machine has them (nststudy weights install puts them there)
if [ -z "$WEIGHTS" ]; then
  WEIGHTS="${NSTSTUDY_VGG19_WEIGHTS:-${KERAS_HOME:-$HOME/.keras}/models/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5}"
fi
WEIGHTS="${WEIGHTS/#\~/$HOME}"  # a "~" written inside the variable, as nststudy and Keras expand it
if [ -f "$WEIGHTS" ]; then
  run "$PYTHON" -m nststudy weights verify "$WEIGHTS"  # a damaged copy must not reach class
  run mkdir -p "$DEST/weights"
  run cp "$WEIGHTS" "$DEST/weights/.weights.h5.part"  # complete or not there at all
  run mv "$DEST/weights/.weights.h5.part" "$DEST/weights/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
else
  echo "note: no VGG19 weights at $WEIGHTS; run 'nststudy weights install' first or pass --weights FILE" >&2
fi
echo "install offline with: pip install --no-index --find-links $DEST \"nststudy[$EXTRAS]\""
