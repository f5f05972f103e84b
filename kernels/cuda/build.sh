#!/usr/bin/env bash
# Compiles kernels/cuda/*.cu to PTX for compute_80 (A100) and compute_90 (H100/H200), one module per
# weight dtype for the kernels that read weights, into the folder given (target/classes/kernels/cuda
# in the Maven build, so the PTX ships inside the jar). The driver JIT-compiles PTX for newer GPUs.
# Without nvcc the build goes on: the jar then has no PTX and the CUDA backend says so at run time.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUTPUT_DIR}"
nvcc="${NVCC:-$(command -v nvcc || true)}"
[[ -z "$nvcc" && -x /usr/local/cuda/bin/nvcc ]] && nvcc=/usr/local/cuda/bin/nvcc
if [[ -z "$nvcc" ]]; then
  echo "[bloomj] nvcc not found: this build has no CUDA kernels (the CUDA backend will be unavailable)"
  exit 0
fi
mkdir -p "$out"
jobs=()
for cu in "$src"/*.cu; do
  name="$(basename "$cu" .cu)"
  case "$name" in
    embedding|matmul|lm_head) dtypes="BF16 F16 F32 Q8_0" ;;
    *) dtypes="F32" ;;
  esac
  for dt in $dtypes; do
    for arch in 80 90; do
      ptx="$out/$name.$dt.sm$arch.ptx"
      if [[ ! -f "$ptx" || "$cu" -nt "$ptx" || "$src/common.cuh" -nt "$ptx" ]]; then
        jobs+=("$nvcc -ptx -O3 -std=c++17 -arch=compute_$arch -DW_$dt -I$src -o $ptx $cu")
      fi
    done
  done
done
if (( ${#jobs[@]} )); then
  echo "[bloomj] compiling ${#jobs[@]} CUDA kernel modules to PTX with $nvcc"
  printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc)" -I{} bash -c '{}'
fi
"$nvcc" --version | tail -1 > "$out/nvcc-version.txt"
