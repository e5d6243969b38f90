#!/usr/bin/env bash
# Judges a candidate model on the user path: 8-bit noisy input made as `cli eval --seed 0` makes it,
# no σ given. The figures are the ones docs/models.md's judging tables hold, on sets no bundled model
# trains on. Colour (a `default`-like folder with its companions): CBSD68 and the held-out CBSD432
# files (bench/holdout.ts) with white noise and in-range camera noise, then the held-out files with
# two probes outside the training ranges of Sessions 13-22 (very strong camera noise, heavy JPEG).
# --grey (a `default-grey`-like folder): the same figures on BSD68 and the held-out Train400 files.
# One JSON line per figure on stdout (bench/model-report.ts's rows).
#
# --ensemble 1,8: the self-ensemble passes to judge at (model-report's option; its default otherwise).
#
#   bash bench/judge.sh <model dir> [--grey] [--data ../shared/data/denoise] [--holdout runs/holdout] [--ensemble 1,8] > runs/x.jsonl
set -euo pipefail
model=${1:?usage: bash bench/judge.sh <model dir> [--grey] [--data DIR] [--holdout DIR]}
shift
data=../shared/data/denoise
holdout=runs/holdout
grey=0
ensemble=()
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --holdout) holdout=$2; shift 2 ;;
    --grey) grey=1; shift ;;
    --ensemble) ensemble=(--ensemble "$2"); shift 2 ;;
    *) echo "judge.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ $grey = 1 ]; then test=BSD68 val=$holdout/Train400-val; else test=CBSD68 val=$holdout/CBSD432-val; fi
[ -d "$val" ] || { echo "judge.sh: no $val; make it with: npx tsx bench/holdout.ts --out $holdout" >&2; exit 2; }
report() { npx tsx bench/model-report.ts --data "$data" --model "$model" "${ensemble[@]}" "$@"; }
report --sets "$test,$val"
report --sets "$test,$val" --noise camera:0.0015,90 --noise camera:0.004,90 --noise camera:0.01,90
report --sets "$val" --noise camera:0.03,90 --noise camera:0.004,50
