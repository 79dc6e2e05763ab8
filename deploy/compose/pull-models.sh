#!/bin/sh
# The model files the workers load, pulled into the models folder before they start: docker-compose.yml's `models`
# service runs this in the cpu image (./models mounted at /app/models). `dog-breeds model pull` checks each file
# against its manifest's sha256; a model already there and verified is left alone, so a restart fetches nothing.
#
# Which, from .env as the workers read it: MODEL (mobilenetv2-imagenet); GATE_MODEL, or when unset mobilenetv2-imagenet
# (the gate of a breed model without ImageNet outputs); DETECTOR (yolox-nano-coco) unless `none`.
# From where: the manifest's own source (needs the internet); MODEL_URL for MODEL (a model without a public source,
# e.g. xception-dogs); or, with MODELS_FROM set, the folder mounted at /from, which holds the files as the manifests
# name them (for mobilenetv2-imagenet, the int8 file it is derived from) — e.g. MODELS_FROM=../shared/models.
#
# CLI (node dist/cli/main.js) and FROM_DIR (/from) are for testing it outside the image.
set -eu
CLI=${CLI:-node dist/cli/main.js}
FROM_DIR=${FROM_DIR:-/from}
MODELS_DIR=${MODELS_DIR:-models}

# The file of the manifest `$1` that `model pull --from` takes: the one it is derived from, else its own.
source_file() {
  node -e 'const m = require(require("node:path").resolve(process.argv[1])); console.log((m.derivedFrom ?? m).file)' \
    "$MODELS_DIR/$1.json"
}

pull() {
  id=$1
  url=$2
  # `model list` verifies every manifest's file: "<id>\t<description>\tready".
  if $CLI model list | awk -F '\t' -v id="$id" '$1 == id && $3 == "ready" { found = 1 } END { exit !found }'; then
    echo "$id: ready"
    return 0
  fi
  if [ -n "$url" ]; then
    $CLI model pull "$id" --from "$url"
  elif [ -n "${MODELS_FROM:-}" ]; then
    $CLI model pull "$id" --from "$FROM_DIR/$(source_file "$id")"
  else
    $CLI model pull "$id"
  fi
}

model=${MODEL:-mobilenetv2-imagenet}
pull "$model" "${MODEL_URL:-}"
gate=${GATE_MODEL:-mobilenetv2-imagenet}
[ "$gate" = none ] || [ "$gate" = "$model" ] || pull "$gate" ''
detector=${DETECTOR:-yolox-nano-coco}
[ "$detector" = none ] || pull "$detector" ''

# Run as root to write into ./models whoever owns it: the files it made get the folder's owner.
if [ "$(id -u)" = 0 ]; then
  find "$MODELS_DIR" -maxdepth 1 -name '*.onnx' -user 0 -exec chown --reference="$MODELS_DIR" {} +
fi
