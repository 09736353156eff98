#!/usr/bin/env bash
# The CUDA path, checked on a machine with an NVIDIA GPU (CI has none): the CUDA tests that
# skip on a CPU, the core tests with CUDA as the default device, three presets timed on both
# devices, then the lesson-claim tests with CUDA as the default device (a learner's GPU).
# Usage: bash scripts/device_check.sh [out_dir]
set -u
out=${1:-${OUT:-/tmp}}
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
python3 -m pytest -q -p no:cacheprovider -o addopts= \
    tests/test_training.py tests/test_compare.py tests/test_models.py tests/test_evaluation.py \
    tests/test_gradients.py -rs 2>&1 | tee "$out/pytest.txt" | tail -25
python3 - <<'PY' 2>&1 | tee "$out/timing.txt"
import time, torch
from seq2seq_lab import preset, train
for name in ("default", "lesson_06_overfit", "lesson_07_lstm"):
    try:
        p = preset(name); config, task, options = p.config, p.task, p.task_options
    except Exception as error:  # a preset name that doesn't exist: say so and go on
        print(name, "skipped:", error); continue
    for device in ("cpu", "cuda"):
        start = time.perf_counter()
        history = train(config, task=task, task_options=options, device=device)
        print(f"{name:18s} {device:5s} {time.perf_counter() - start:6.2f} s  steps {history.steps}"
              f"  val_loss {history.val_loss[-1]:.4f}  acc {history.val_accuracy[-1]:.3f}")
PY
timeout 300 python3 -m pytest -q -p no:cacheprovider -o addopts= \
    tests/test_lesson_06.py tests/test_lesson_07.py tests/test_seed_bands.py \
    tests/test_gradient_flow_panel.py -rs 2>&1 | tee "$out/lessons.txt" | tail -40
