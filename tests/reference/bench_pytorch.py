#!/usr/bin/env python3
"""PyTorch CPU timing of the same cases as `cargo bench --bench model`, using the reference
forward of trm_reference.py in float32: one net call at batch 1 and 64, and one training step
(T-1 cycles without gradients, the last with, stablemax + halting loss, backward, AdamW, EMA) on
fixed token batches at the training batch size (32 for the browser preset).

    python3 tests/reference/bench_pytorch.py --json out.json [--threads N] [--seconds S]
        [--formulation reference|position-major]

`--formulation position-major` runs the MLP-mixer net as burn computes it (see
`net_position_major`), to show what the same reformulation gives PyTorch.
"""
import argparse
import json
import math
import time

import torch

import trm_reference as ref

PRESETS = {
    "browser": dict(hidden=128, layers=2, mixer="Mlp", expansion=4.0, inner_multiple=64, prefix_len=4,
                    heads=8, latent_updates=4, cycles=2, supervision_steps=16, norm_eps=1e-5, rope_theta=1e4),
    "paper_mlp": dict(hidden=512, layers=2, mixer="Mlp", expansion=4.0, inner_multiple=256, prefix_len=16,
                      heads=8, latent_updates=6, cycles=3, supervision_steps=16, norm_eps=1e-5, rope_theta=1e4),
    "paper_att": dict(hidden=512, layers=2, mixer="Attention", expansion=4.0, inner_multiple=256, prefix_len=16,
                      heads=8, latent_updates=6, cycles=3, supervision_steps=16, norm_eps=1e-5, rope_theta=1e4),
}


def time_it(seconds, fn):
    """Median milliseconds per run after one warm-up run (as benches/model.rs does): the median
    shrugs off the stalls a shared machine adds to a few runs."""
    fn()
    start = time.perf_counter()
    times = []
    while len(times) < 3 or (time.perf_counter() - start < seconds and len(times) < 1000):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000.0)
    times.sort()
    return times[len(times) // 2]


def swiglu_rows(x, gate_up, down):
    """`swiglu` with the weight split instead of the product (as burn's `SwiGlu::forward_rows`)."""
    inner = down.shape[0]
    return (torch.nn.functional.silu(x @ gate_up[:, :inner]) * (x @ gate_up[:, inner:])) @ down


def swiglu_columns(x, gate_up, down):
    """The same map on each column of `x` `[W, N]`, products from the left (burn's `forward_columns`)."""
    inner = down.shape[0]
    return down.t() @ (torch.nn.functional.silu(gate_up[:, :inner].t() @ x) * (gate_up[:, inner:].t() @ x))


def net_position_major(c, p, state, injection):
    """`ref.net` (MLP mixer) as burn computes it: position-major `[L, B*D]` inside the net, the
    gate/up weight split rather than its product. Same values; here to show what the same
    reformulation gives PyTorch."""
    b, l, d = state.shape
    eps = c["norm_eps"]
    h = (state + injection).transpose(0, 1).reshape(l, b * d)
    for i in range(c["layers"]):
        h = h + swiglu_columns(h, p[f"blocks.{i}.mixer.mlp.gate_up.weight"], p[f"blocks.{i}.mixer.mlp.down.weight"])
        h = h * torch.rsqrt(h.pow(2).mean(0, keepdim=True) + eps)
        rows = h.reshape(l * b, d)
        rows = ref.rms_norm(rows + swiglu_rows(rows, p[f"blocks.{i}.mlp.gate_up.weight"],
                                               p[f"blocks.{i}.mlp.down.weight"]), eps)
        h = rows.reshape(l, b * d)
    return h.reshape(l, b, d).transpose(0, 1)


def params_for(c):
    p = ref.build_params(c)
    return {k: v.float().clone().requires_grad_(k not in ("y_init", "z_init")) for k, v in p.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--presets", default="browser,paper_mlp")
    ap.add_argument("--formulation", choices=["reference", "position-major"], default="reference",
                    help="the reference code's net, or the MLP mixer as burn computes it")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_default_dtype(torch.float32)
    print(f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads, {args.seconds} s per case, "
          f"{args.formulation} formulation")
    rows = []
    for name in args.presets.split(","):
        c = PRESETS[name]
        p = params_for(c)
        seq = c["prefix_len"] + 81
        net = ref.net if args.formulation == "reference" or c["mixer"] != "Mlp" else net_position_major
        if net is not ref.net:  # same values as the reference, or the figures mean nothing
            z, inj = torch.randn(3, seq, c["hidden"]), torch.randn(3, seq, c["hidden"])
            with torch.no_grad():
                assert torch.allclose(net(c, p, z, inj), ref.net(c, p, z, inj), atol=1e-5)
        n_params = sum(v.numel() for k, v in p.items())

        def net_call(batch):
            z = torch.randn(batch, seq, c["hidden"])
            inj = torch.randn(batch, seq, c["hidden"])

            def run():
                with torch.no_grad():
                    net(c, p, z, inj)
            return time_it(args.seconds, run)

        b1, b64 = net_call(1), net_call(64)
        batch = 32 if c["hidden"] <= 128 else 4
        trainable = [v for k, v in p.items() if v.requires_grad]
        opt = torch.optim.AdamW(trainable, lr=1e-4, betas=(0.9, 0.95), weight_decay=1.0)
        ema = [v.detach().clone() for v in trainable]
        toks = torch.randint(1, 11, (batch, 81))
        labels = torch.randint(2, 11, (batch, 81))
        state = {}

        def train_step():
            x = ref.embed(c, p, toks)
            shape = (batch, seq, c["hidden"])
            y = state.get("y", p["y_init"].detach().expand(shape))
            z = state.get("z", p["z_init"].detach().expand(shape))
            with torch.no_grad():
                for _ in range(c["cycles"] - 1):
                    for _ in range(c["latent_updates"]):
                        z = net(c, p, z, y + x)
                    y = net(c, p, y, z)
            for _ in range(c["latent_updates"]):
                z = net(c, p, z, y + x)
            y = net(c, p, y, z)
            logits = y[:, c["prefix_len"]:] @ p["output_head.weight"]
            q = (y[:, 0] @ p["halt_head.weight"] + p["halt_head.bias"])[:, 0]
            s = torch.where(logits < 0, 1.0 / (1.0 - logits), logits + 1.0)
            logp = torch.log(s / s.sum(-1, keepdim=True))
            ce = (-logp.gather(-1, labels[..., None])[..., 0].mean(1)).sum() / batch
            exact = (logits.argmax(-1) == labels).all(1).float()
            bce = torch.nn.functional.binary_cross_entropy_with_logits(q, exact, reduction="sum") / batch
            loss = ce + 0.5 * bce
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for e, v in zip(ema, trainable):
                    e.mul_(0.999).add_(v, alpha=0.001)
            state["y"], state["z"] = y.detach(), z.detach()
            float(loss)

        train = time_it(args.seconds, train_step)
        print(f"| {name} | {n_params} | {b1:.2f} ms | {b64:.1f} ms | {train:.0f} ms ({batch}) |")
        rows.append(dict(preset=name, params=n_params, net_call_b1_ms=b1, net_call_b64_ms=b64,
                         train_step_ms=train, train_batch=batch))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
