#!/usr/bin/env python3
"""bloomj beside Hugging Face transformers on the same random checkpoint (issue 15), run by run.sh.

  compare  CKPT BLOOMJ_LOGITS_JSON TOKENS [--device cuda|cpu]
      Loads CKPT with transformers' BloomForCausalLM in fp32, runs the token ids, and compares with
      `bloomj logits` (its JSON: last-position logits, argmax after every position): max |diff| of
      the last logits, argmax agreement per position. Prints one JSON line; exit 1 when they disagree.
  speed    CKPT [--device cuda] [--prompt 512] [--gen 128]
      transformers' own batch-1 speed in bf16: a prefill of PROMPT tokens and a greedy generate of
      GEN new tokens (min = max, so eos cannot stop it early), timed after a warm-up. One JSON line.

Uses only what the GPU machine already has (torch, transformers, safetensors). Without torch it
says so and exits 0 (a dry run on a CPU machine checks the script itself, not transformers).
"""
import argparse
import json
import sys
import time


def load(ckpt, dtype, device):
    import torch
    from transformers import BloomForCausalLM
    model = BloomForCausalLM.from_pretrained(ckpt, torch_dtype=dtype).to(device)
    model.eval()
    return model


def compare(args):
    import torch
    tokens = [int(t) for t in args.tokens.split(",")]
    with open(args.bloomj) as f:
        bj = json.load(f)
    model = load(args.ckpt, torch.float32, args.device)
    with torch.no_grad():
        out = model(torch.tensor([tokens], device=args.device)).logits[0].float().cpu()
    last = torch.tensor(bj["logits"], dtype=torch.float32)
    diff = (out[-1] - last).abs()
    hf_argmax = out.argmax(dim=-1).tolist()
    agree = sum(int(a == b) for a, b in zip(hf_argmax, bj["argmax"]))
    scale = out[-1].abs().max().item()
    result = {"check": "compare", "positions": len(tokens), "max_abs_diff_last": diff.max().item(),
              "mean_abs_diff_last": diff.mean().item(), "max_abs_logit": scale,
              "argmax_agreement": agree / len(tokens), "transformers": __import__("transformers").__version__,
              "torch": torch.__version__, "device": args.device}
    print(json.dumps(result))
    # fp32 on both sides: logits agree to ~1e-3 of their size; a real bug shows as far more
    return 0 if result["max_abs_diff_last"] <= 1e-3 * max(1.0, scale) and agree == len(tokens) else 1


def speed(args):
    import torch
    model = load(args.ckpt, torch.bfloat16, args.device)
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(0, vocab, (1, args.prompt), generator=g).to(args.device)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    with torch.no_grad():
        model(prompt[:, :16])
        sync()
        t0 = time.perf_counter()
        model(prompt)
        sync()
        prefill = time.perf_counter() - t0
        short = prompt[:, :8]
        model.generate(short, max_new_tokens=4, min_new_tokens=4, do_sample=False)
        sync()
        t0 = time.perf_counter()
        out = model.generate(short, max_new_tokens=args.gen, min_new_tokens=args.gen, do_sample=False)
        sync()
        decode = time.perf_counter() - t0
    result = {"check": "speed", "prefill_tokens": args.prompt, "prefill_tokens_per_second": args.prompt / prefill,
              "generated_tokens": out.shape[1] - short.shape[1], "decode_tokens_per_second": (out.shape[1] - short.shape[1]) / decode,
              "dtype": "bf16", "device": args.device, "transformers": __import__("transformers").__version__, "torch": torch.__version__}
    print(json.dumps(result))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("ckpt")
    c.add_argument("bloomj")
    c.add_argument("tokens")
    c.add_argument("--device", default="cuda")
    s = sub.add_parser("speed")
    s.add_argument("ckpt")
    s.add_argument("--device", default="cuda")
    s.add_argument("--prompt", type=int, default=512)
    s.add_argument("--gen", type=int, default=128)
    args = ap.parse_args()
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        print(json.dumps({"check": args.cmd, "skipped": f"no {e.name} here"}))
        return 0
    return compare(args) if args.cmd == "compare" else speed(args)


if __name__ == "__main__":
    sys.exit(main())
