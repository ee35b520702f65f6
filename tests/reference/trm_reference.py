#!/usr/bin/env python3
"""Reference forward pass of the Tiny Recursive Model in PyTorch, written from the paper's
description (arXiv 2510.04871) and its reference code, and the generator of
the golden values that tests/reference_parity.rs checks the burn model against.

Weights are not stored: both sides fill every parameter from the same tiny deterministic
generator (xorshift64*, seeded per parameter path), so the goldens file only holds inputs and
outputs. Computation here is float64; burn runs float32.

    python3 tests/reference/trm_reference.py            # rewrites tests/reference/goldens.json

Needs torch (CPU is enough). CI does not run this; it uses the committed goldens.
"""
import json
import math
import os
import sys

import torch

MASK64 = (1 << 64) - 1
VOCAB = 11
CELLS = 81

# Two small configs: the MLP token mixer (the paper's Sudoku model) and attention with RoPE.
CONFIGS = {
    "mlp": dict(hidden=16, layers=2, mixer="Mlp", expansion=2.0, inner_multiple=16, prefix_len=2,
                heads=2, latent_updates=2, cycles=2, supervision_steps=4, norm_eps=1e-5,
                rope_theta=10000.0, seed=0),
    "attention": dict(hidden=16, layers=2, mixer="Attention", expansion=2.0, inner_multiple=16,
                      prefix_len=2, heads=2, latent_updates=2, cycles=2, supervision_steps=4,
                      norm_eps=1e-5, rope_theta=10000.0, seed=0),
}
PARAM_SEED = 20251007
PUZZLES = [
    ("4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......",
     "417369825632158947958724316825437169791586432346912758289643571573291684164875293"),
    ("52...6.........7.13...........4..8..6......5...........418.........3..2...87.....",
     "527316489896542731314987562172453896689271354453698217941825673765134928238769145"),
]


def fnv1a(text):
    h = 0xCBF29CE484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


class XorShift:
    """xorshift64*: the same stream as `reference_values` in tests/reference_parity.rs."""

    def __init__(self, seed):
        self.state = seed & MASK64 or 0x9E3779B97F4A7C15

    def next(self):
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & MASK64

    def uniform(self):
        return (self.next() >> 11) * (1.0 / (1 << 53))


def param_values(path, shape):
    rng = XorShift(fnv1a(path) ^ PARAM_SEED)
    scale = 1.0 / math.sqrt(shape[0]) if len(shape) == 2 else 1.0
    n = math.prod(shape)
    return torch.tensor([(rng.uniform() * 2.0 - 1.0) * scale for _ in range(n)],
                        dtype=torch.float64).reshape(shape)


def swiglu_inner(c, width):
    raw = round(c["expansion"] * width * 2.0 / 3.0)
    m = c["inner_multiple"]
    return -(-raw // m) * m


def build_params(c):
    """Parameters by path, in burn's layout (linear weights [in, out])."""
    d, seq = c["hidden"], c["prefix_len"] + CELLS
    shapes = {"token_embedding": [VOCAB, d], "puzzle_embedding": [1, d]}
    for b in range(c["layers"]):
        if c["mixer"] == "Mlp":
            i = swiglu_inner(c, seq)
            shapes[f"blocks.{b}.mixer.mlp.gate_up.weight"] = [seq, 2 * i]
            shapes[f"blocks.{b}.mixer.mlp.down.weight"] = [i, seq]
        else:
            shapes[f"blocks.{b}.mixer.attention.qkv.weight"] = [d, 3 * d]
            shapes[f"blocks.{b}.mixer.attention.out.weight"] = [d, d]
        i = swiglu_inner(c, d)
        shapes[f"blocks.{b}.mlp.gate_up.weight"] = [d, 2 * i]
        shapes[f"blocks.{b}.mlp.down.weight"] = [i, d]
    shapes.update({"output_head.weight": [d, VOCAB], "halt_head.weight": [d, 2],
                   "halt_head.bias": [2], "y_init": [d], "z_init": [d]})
    return {p: param_values(p, s) for p, s in shapes.items()}


def rms_norm(x, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def swiglu(x, gate_up, down):
    inner = down.shape[0]
    h = x @ gate_up
    gate, up = h[..., :inner], h[..., inner:]
    return (torch.nn.functional.silu(gate) * up) @ down


def rope_tables(c):
    hd = c["hidden"] // c["heads"]
    seq = c["prefix_len"] + CELLS
    half = hd // 2
    inv = torch.tensor([c["rope_theta"] ** (-(2 * i) / hd) for i in range(half)], dtype=torch.float64)
    angles = torch.arange(seq, dtype=torch.float64)[:, None] * inv[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos[None, :, None, :] + rotated * sin[None, :, None, :]


def attention(h, qkv_w, out_w, heads, cos, sin):
    b, l, d = h.shape
    hd = d // heads
    qkv = (h @ qkv_w).reshape(b, l, 3 * heads, hd)
    q, k, v = qkv[:, :, :heads], qkv[:, :, heads:2 * heads], qkv[:, :, 2 * heads:]
    q, k = rotate(q, cos, sin).transpose(1, 2), rotate(k, cos, sin).transpose(1, 2)
    v = v.transpose(1, 2)
    weights = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd), dim=-1)
    return (weights @ v).transpose(1, 2).reshape(b, l, d) @ out_w


def net(c, p, state, injection):
    """One net call: the blocks applied to state + injection (post-norm, no gains, no biases)."""
    h = state + injection
    eps = c["norm_eps"]
    for b in range(c["layers"]):
        if c["mixer"] == "Mlp":
            t = h.transpose(1, 2)  # mix across positions; normalised over positions too
            t = rms_norm(t + swiglu(t, p[f"blocks.{b}.mixer.mlp.gate_up.weight"],
                                    p[f"blocks.{b}.mixer.mlp.down.weight"]), eps)
            h = t.transpose(1, 2)
        else:
            cos, sin = rope_tables(c)
            h = rms_norm(h + attention(h, p[f"blocks.{b}.mixer.attention.qkv.weight"],
                                       p[f"blocks.{b}.mixer.attention.out.weight"], c["heads"], cos, sin), eps)
        h = rms_norm(h + swiglu(h, p[f"blocks.{b}.mlp.gate_up.weight"], p[f"blocks.{b}.mlp.down.weight"]), eps)
    return h


def tokens(line):
    return [1 if ch == "." else int(ch) + 1 for ch in line]


def embed(c, p, toks):
    b = toks.shape[0]
    d = c["hidden"]
    cells = p["token_embedding"][toks]
    prefix = torch.zeros(b, c["prefix_len"], d, dtype=cells.dtype)
    prefix[:, 0] = p["puzzle_embedding"][0]
    return torch.cat([prefix, cells], dim=1) * math.sqrt(d)


def mean_cell_norm(h, prefix):
    return h[:, prefix:].norm(dim=-1).mean(dim=1)


def heads(c, p, y):
    """The answer logits [B, 81, V] and the halting logit [B] read from y."""
    logits = y[:, c["prefix_len"]:] @ p["output_head.weight"]
    q = y[:, 0] @ p["halt_head.weight"] + p["halt_head.bias"]
    return logits, q[:, 0]


def supervision_step(c, p, x, y, z):
    for _ in range(c["cycles"]):
        for _ in range(c["latent_updates"]):
            z = net(c, p, z, y + x)
        y = net(c, p, y, z)
    return (y, z, *heads(c, p, y))


def loss_parts(logits, halt, labels):
    """Stablemax cross-entropy (mean over cells, sum over the batch / B) and halting BCE."""
    s = torch.where(logits < 0, 1.0 / (1.0 - logits), logits + 1.0)
    log_probs = torch.log(s / s.sum(-1, keepdim=True))
    picked = log_probs.gather(-1, labels[..., None])[..., 0]
    batch = logits.shape[0]
    answer = (-picked.mean(dim=1)).sum() / batch
    exact = (logits.argmax(-1) == labels).all(dim=1).double()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(halt, exact, reduction="sum") / batch
    return answer, bce


def losses(logits, halt, labels):
    answer, bce = loss_parts(logits, halt, labels)
    return {"total": float(answer + 0.5 * bce), "answer": float(answer), "halt": float(bce)}


def goldens_for(name, c):
    p = build_params(c)
    toks = torch.tensor([tokens(q) for q, _ in PUZZLES])
    labels = torch.tensor([tokens(s) for _, s in PUZZLES])
    x = embed(c, p, toks)
    shape = (len(PUZZLES), c["prefix_len"] + CELLS, c["hidden"])
    y0 = p["y_init"].expand(shape).clone()
    z0 = p["z_init"].expand(shape).clone()
    z1 = net(c, p, z0, y0 + x)
    y, z, logits, halt = supervision_step(c, p, x, y0, z0)
    _, _, _, halt2 = supervision_step(c, p, x, y, z)
    flat = lambda t: [round(float(v), 9) for v in t.flatten()]
    return {
        "name": name,
        "config": c,
        "param_seed": PARAM_SEED,
        "puzzles": [q for q, _ in PUZZLES],
        "solutions": [s for _, s in PUZZLES],
        "embedding": flat(x),
        "net_call": flat(z1),
        "logits": flat(logits),
        "halt_logit": flat(halt),
        "y_norm": flat(mean_cell_norm(y, c["prefix_len"])),
        "z_norm": flat(mean_cell_norm(z, c["prefix_len"])),
        "second_step_halt_logit": flat(halt2),
        "losses": losses(logits, halt, labels),
    }


def write_goldens(name, data):
    """Writes `data` as JSON to `name` beside this script (the goldens the Rust tests read)."""
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with open(out, "w") as f:
        json.dump(data, f)
        f.write("\n")
    print(f"wrote {out}", file=sys.stderr)


def main():
    torch.set_default_dtype(torch.float64)
    write_goldens("goldens.json", {"generator": "tests/reference/trm_reference.py", "torch": torch.__version__,
                                   "cases": [goldens_for(n, c) for n, c in CONFIGS.items()]})


if __name__ == "__main__":
    main()
