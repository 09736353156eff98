"""The measurement that retired compare's batched model (2026-11-29): 4 and 8 learning rates
trained by the batched model in worker processes against a plain pool of lone ``train()``
runs (2 processes, 1 torch thread each), interleaved, 3 repeats.

It runs only where the batched model still exists, the commit before it was deleted:

    git worktree add /tmp/twin 5a2e217 && cd /tmp/twin && \\
        /path/to/.venv/bin/python benchmarks/retired/pool_vs_twin.py

Results and the decision are in BENCHMARKS.md ("Retired: the batched model").
"""
import time
import multiprocessing as mp
import torch

def lone(args):
    cfg_dict, seed = args
    import torch
    torch.set_num_threads(1)
    from seq2seq_lab import train
    t = time.perf_counter()
    h = train(cfg_dict, seed=seed, device="cpu")
    return time.perf_counter() - t, h.final("val_loss")

def warm(_):
    import torch; torch.set_num_threads(1)
    from seq2seq_lab import train
    return 0

if __name__ == "__main__":
    from seq2seq_lab import train, compare
    from seq2seq_lab.workers import pool
    ctx = mp.get_context("spawn")
    ex = ctx.Pool(2)
    ex.map(warm, [0, 1])
    from seq2seq_lab.workers import warm; warm(8); time.sleep(4)
    rates8 = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]
    rates4 = [1e-4, 1e-3, 1e-2, 0.1]
    for rep in range(3):
        torch.set_num_threads(1)
        t = time.perf_counter(); train(None, device="cpu"); one1 = time.perf_counter() - t
        torch.set_num_threads(2)
        t = time.perf_counter(); train(None, device="cpu"); one2 = time.perf_counter() - t
        res = {}
        for name, rates in (("4", rates4), ("8", rates8)):
            t = time.perf_counter(); compare(None, vary={"learning_rate": rates}, device="cpu"); twin = time.perf_counter() - t
            # deal round robin to 2 procs: pool map with chunksize 1 does dynamic dispatch
            t = time.perf_counter(); out = ex.map(lone, [({"learning_rate": r}, 0) for r in rates], chunksize=1); poolt = time.perf_counter() - t
            res[name] = (twin, poolt)
        print(f"rep {rep}: one1 {one1:.2f} one2 {one2:.2f} | " + " | ".join(f"{k}: twin {v[0]:.2f} pool {v[1]:.2f} ratio pool/twin {v[1]/v[0]:.2f}" for k, v in res.items()), flush=True)
