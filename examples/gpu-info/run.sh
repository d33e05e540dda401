#!/bin/sh
# A GPU job for providers with an NVIDIA GPU: lists the GPUs it was given and
# checks, without CUDA, that it sees exactly those. Exits 1 when it has none.
set -u
echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-}"
ls -l /dev/nvidia* 2>/dev/null | tee output/devices.txt
cat /proc/driver/nvidia/version 2>/dev/null | head -n 1 | tee output/driver.txt
if ! nvidia-smi --query-gpu=index,name,memory.total,uuid --format=csv,noheader > output/gpus.csv 2> output/nvidia-smi.err; then
  echo "nvidia-smi failed:"; cat output/nvidia-smi.err; exit 1
fi
cat output/gpus.csv
seen=$(grep -c . output/gpus.csv)
given=$(printf '%s' "${CUDA_VISIBLE_DEVICES:-}" | tr ',' '\n' | grep -c .)
echo "given $given GPU(s), nvidia-smi sees $seen"
[ "$seen" -ge 1 ] && [ "$seen" -eq "$given" ]
