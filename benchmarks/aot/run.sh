#!/usr/bin/env bash
# NativeAOT against the JIT, measured on this machine: publishes samples/MnistMlp and tests/Ignis.AotCheck as
#   jit       framework-dependent, JIT (Release)
#   aot       NativeAOT with Ignis' default for x64 (build/Ignis.targets: x86-64-v3, AVX2+FMA)
#   aot-base  NativeAOT for the .NET x64 baseline (IgnisAotInstructionSet=none: 128-bit SSE kernels)
# then times 10 MnistMlp epochs on Fashion-MNIST (apt-get install dataset-fashion-mnist) and the kernel check's
# steady-state GEMM/conv/elementwise timings for each. Minutes on 2 cores; not part of CI.
# Usage: bash benchmarks/aot/run.sh [epochs]
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-10}
out=artifacts/aot-bench
rid=$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')
rm -rf "$out"; mkdir -p "$out"

dotnet build samples/MnistMlp -c Release -o "$out/jit/mlp" >/dev/null
dotnet build tests/Ignis.AotCheck -c Release -o "$out/jit/check" >/dev/null
for v in aot aot-base; do
  extra=(); [ "$v" = aot-base ] && extra=(-p:IgnisAotInstructionSet=none)
  dotnet publish samples/MnistMlp -c Release -r "$rid" -p:PublishAot=true "${extra[@]}" -o "$out/$v/mlp" >/dev/null
  dotnet publish tests/Ignis.AotCheck -c Release -r "$rid" -p:PublishAot=true "${extra[@]}" -o "$out/$v/check" >/dev/null
done

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) cores), $(dotnet --version) SDK, $rid"
for v in jit aot aot-base; do
  if [ "$v" = jit ]; then mlp=(dotnet "$out/jit/mlp/MnistMlp.dll"); check=(dotnet "$out/jit/check/Ignis.AotCheck.dll");
  else mlp=("$out/$v/mlp/MnistMlp"); check=("$out/$v/check/Ignis.AotCheck"); fi
  start=$(date +%s.%N)
  acc=$("${mlp[@]}" --epochs "$epochs" | awk '/^test accuracy/ {print $3}')
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  size=""; [ "$v" != jit ] && size=", executable $(stat -c %s "$out/$v/mlp/MnistMlp") bytes"
  printf '%-9s MnistMlp %s epochs: %.1f s, test accuracy %s%s\n' "$v" "$epochs" "$secs" "$acc" "$size"
  "${check[@]}" --bench | sed "s/^/$v    /"
done
