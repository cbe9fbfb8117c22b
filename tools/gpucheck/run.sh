#!/usr/bin/env bash
# One command on a GPU machine: Ignis' conformance suite on the GPU and the training-step times of Ignis (gpucheck)
# and PyTorch eager (torch_steps.py) on it, side by side. Run from the folder gpucheck was published to:
#   ./run.sh [gpucheck options: --device cuda:0 --models resnet18,mobilenet_v2 --image-size 224 --batch 64 --steps 10]
# PYTHON picks the Python with PyTorch (default: python3).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ignis_out=$(mktemp) torch_out=$(mktemp)
"$here/gpucheck" "$@" | tee "$ignis_out"
ignis_status=${PIPESTATUS[0]}
"${PYTHON:-python3}" "$here/torch_steps.py" "$@" | tee "$torch_out"
echo
echo "training step, median ms (lower is better); ratio = Ignis / PyTorch"
printf '%-16s %6s %6s %12s %12s %8s\n' model size batch Ignis PyTorch ratio
while read -r _ model size batch ms _; do
  torch_ms=$(awk -v m="$model" -v s="$size" -v b="$batch" '$1=="step" && $2==m && $3==s && $4==b {print $5}' "$torch_out")
  ratio=$([ -n "$torch_ms" ] && awk -v a="$ms" -v b="$torch_ms" 'BEGIN {printf "%.2f", a / b}' || echo "-")
  printf '%-16s %6s %6s %12s %12s %8s\n' "$model" "$size" "$batch" "$ms" "${torch_ms:--}" "$ratio"
done < <(grep '^step ' "$ignis_out")
rm -f "$ignis_out" "$torch_out"
exit "$ignis_status"
