#!/usr/bin/env bash
# `make demo`: the main job on the shipped corpora (corpora/), about 3 minutes on 2 cores.
# raw text → vocabulary → word2vec and PPMI-SVD vectors → neighbours, analogies, evaluation
# → a language model that generates text → a seq2seq model with attention that translates dates.
set -euo pipefail
cd "$(dirname "$0")/.."
W=.venv/bin/wordlab
OUT=${DEMO_OUT:-out/demo}
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }
t0=$(date +%s)

step "1. vocabulary of corpora/text8-head.gz (1.17M words of Wikipedia)"
$W vocab corpora/text8-head.gz --min-count 5 --top 10 -o "$OUT/vocab.json"

step "2. word2vec skip-gram with negative sampling (compiled multi-threaded trainer)"
$W train word2vec corpora/text8-head.gz -o "$OUT/vectors.bin" --sg --dim 100 --window 5 --epochs 10 --threads 2 \
    --show king france computer three --analogy france french germany

step "3. queries: neighbours, an analogy, the Google analogy set"
$W similar "$OUT/vectors.bin" paris --topn 5
$W analogy "$OUT/vectors.bin" man king woman
$W eval "$OUT/vectors.bin" --analogies corpora/questions-words.txt.gz --restrict 30000
printf 'king - man + woman\ndoesnt_match france germany italy computer\nquit\n' | $W query "$OUT/vectors.bin"

step "4. count-based vectors: co-occurrence → PPMI → truncated SVD"
$W train ppmi corpora/text8-head.gz -o "$OUT/ppmi.bin" --dim 100 --window 5 --min-count 5

step "5. seq2seq with attention: free-form dates → ISO (DLfS-2 ch. 8), 30 s of training"
$W -q seq2seq train --pairs corpora/dlfs2-date.txt.gz --format dlfs2 --reverse --attention dot --epochs 1 \
    --lr 0.005 --max-minutes 0.5 --threads 1 -o "$OUT/date.pt"
$W -q seq2seq eval "$OUT/date.pt" --pairs corpora/dlfs2-date.txt.gz --format dlfs2 --split test --examples 3
$W -q translate "$OUT/date.pt" "september 27, 1994" "2/10/93" "Tuesday, March 3, 2026" \
    --show-attention "$OUT/date-attention.png"

step "6. an LSTM language model on the first 1.5 MB of text8-head, then sampled text (top-p, temperature)"
{ zcat corpora/text8-head.gz || true; } | head -c 1500000 > "$OUT/lm-train.txt"  # zcat stops early: SIGPIPE is fine
$W -q lm train --train "$OUT/lm-train.txt" --no-eos --max-vocab 3000 --layers 1 --dim 128 --hidden 128 --tie \
    --dropout 0.1 --batch-size 32 --bptt 20 --optimizer adam --lr 3e-3 --epochs 3 --max-minutes 1 --threads 1 \
    -o "$OUT/lm.pt"
$W -q lm generate "$OUT/lm.pt" --prompt "the history of" -n 50 --temperature 0.8 --top-p 0.9 \
    --repetition-penalty 1.3 --seed 1

printf '\n== done in %s s; outputs in %s\n' "$(( $(date +%s) - t0 ))" "$OUT"
printf '\n== explore them in a browser (http://localhost:8000/; needs the serve extra: pip install ".[serve]"):\n'
printf '   wordlab serve %s %s %s\n' "$OUT/vectors.bin" "$OUT/lm.pt" "$OUT/date.pt"
