#!/usr/bin/env python3
"""Gradient goldens for tests/reference_gradients.rs: the gradient of the total training loss
(stablemax cross-entropy + 0.5 x halting BCE) with respect to every trained parameter, for one
supervision step of the `tiny` and `browser` presets on two fixed puzzles, as the paper's code
computes it: the first T-1 cycles without gradients, only the last one tracked. A second case
runs one step, detaches y and z, and takes the gradient of the second step's loss alone, which
is what the carry between supervision steps must give.

Weights come from the same seeded generator as trm_reference.py. Each gradient is stored as its
L2 norm, its first 8 values, and 16 projections onto seeded vectors (the same xorshift stream
on both sides), so that every element is checked without storing every element.

    python3 tests/reference/grad_reference.py         # rewrites tests/reference/gradients.json

Needs torch (CPU is enough). CI does not run this; it uses the committed goldens.
"""

import torch

import trm_reference as ref

PRESETS = {
    "tiny": dict(hidden=32, layers=2, mixer="Mlp", expansion=4.0, inner_multiple=32, prefix_len=1,
                 heads=8, latent_updates=2, cycles=2, supervision_steps=4, norm_eps=1e-5,
                 rope_theta=10000.0, seed=0),
    "browser": dict(hidden=128, layers=2, mixer="Mlp", expansion=4.0, inner_multiple=64, prefix_len=4,
                    heads=8, latent_updates=4, cycles=2, supervision_steps=16, norm_eps=1e-5,
                    rope_theta=10000.0, seed=0),
}
PROJECTIONS = 16
PROJECTION_SEED = 0x9AD5_0F0E


def projection_vector(path, index, n):
    """Seeded vector in [-1, 1) for projection `index` of parameter `path`."""
    rng = ref.XorShift(ref.fnv1a(f"{path}#{index}") ^ PROJECTION_SEED)
    return torch.tensor([rng.uniform() * 2.0 - 1.0 for _ in range(n)], dtype=torch.float64)


def supervision_step_tracked_last(c, p, x, y, z):
    """T-1 cycles without gradients, the last one tracked (the paper's code)."""
    with torch.no_grad():
        for _ in range(c["cycles"] - 1):
            for _ in range(c["latent_updates"]):
                z = ref.net(c, p, z, y + x)
            y = ref.net(c, p, y, z)
    y, z = y.detach(), z.detach()
    for _ in range(c["latent_updates"]):
        z = ref.net(c, p, z, y + x)
    y = ref.net(c, p, y, z)
    return (y, z, *ref.heads(c, p, y))


def total_loss(logits, halt, labels):
    answer, bce = ref.loss_parts(logits, halt, labels)
    return answer + 0.5 * bce


def summaries(p):
    out = {}
    for path, v in p.items():
        if v.grad is None:
            continue
        g = v.grad.flatten()
        out[path] = {
            "norm": float(g.norm()),
            "first": [float(x) for x in g[:8]],
            "projections": [float(g @ projection_vector(path, i, g.numel())) for i in range(PROJECTIONS)],
        }
    return out


def case(name, c):
    p = ref.build_params(c)
    for path, v in p.items():
        v.requires_grad_(path not in ("y_init", "z_init"))
    toks = torch.tensor([ref.tokens(q) for q, _ in ref.PUZZLES])
    labels = torch.tensor([ref.tokens(s) for _, s in ref.PUZZLES])
    shape = (len(ref.PUZZLES), c["prefix_len"] + ref.CELLS, c["hidden"])

    x = ref.embed(c, p, toks)
    y0, z0 = p["y_init"].detach().expand(shape), p["z_init"].detach().expand(shape)
    y1, z1, logits, halt = supervision_step_tracked_last(c, p, x, y0, z0)
    loss = total_loss(logits, halt, labels)
    loss.backward()
    first = {"loss": float(loss), "gradients": summaries(p)}

    for v in p.values():
        v.grad = None
    # The carry: the second step starts from the first step's state, detached.
    x = ref.embed(c, p, toks)
    _, _, logits2, halt2 = supervision_step_tracked_last(c, p, x, y1.detach(), z1.detach())
    loss2 = total_loss(logits2, halt2, labels)
    loss2.backward()
    second = {"loss": float(loss2), "gradients": summaries(p)}
    return {"name": name, "config": c, "param_seed": ref.PARAM_SEED, "first_step": first, "second_step": second}


def main():
    torch.set_default_dtype(torch.float64)
    data = {"generator": "tests/reference/grad_reference.py", "torch": torch.__version__,
            "projections": PROJECTIONS, "projection_seed": PROJECTION_SEED,
            "puzzles": [q for q, _ in ref.PUZZLES], "solutions": [s for _, s in ref.PUZZLES],
            "cases": [case(n, c) for n, c in PRESETS.items()]}
    ref.write_goldens("gradients.json", data)


if __name__ == "__main__":
    main()
