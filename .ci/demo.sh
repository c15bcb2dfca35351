#!/usr/bin/env bash
# `make demo`: the main job on the shipped corpus (corpora/), in under 3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
W=.venv/bin/wordlab
OUT=${DEMO_OUT:-out/demo}
mkdir -p "$OUT"
echo "== 1. vocabulary of corpora/text8-head.gz"
$W vocab corpora/text8-head.gz --min-count 5 --top 10 -o "$OUT/vocab.json"
