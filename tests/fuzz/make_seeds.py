#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/NAME): tiny but
valid inputs of every format each harness reads, so that fuzzing starts deep in the
parsers. The llama2.c checkpoints come from `tessera synth-model` (pass its path);
GGUF files and tokenizers are written here from the formats' specifications.
   tests/fuzz/make_seeds.py build/bin/tessera"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ = 8, 16, 1, 2, 1, 8, 4
PIECES = ["<unk>", "<s>", "</s>", " ", "a", "b", " ab", "ba"]


def gguf_string(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf_kv(key, type_id, payload):
    return gguf_string(key) + struct.pack("<I", type_id) + payload


def gguf(tensor_type):
    """A llama GGUF of the tiny shape; matrices in F32 (0) or F16 (1)."""
    kv_dim = DIM // HEADS * KV_HEADS
    kvs = [
        gguf_kv("general.architecture", 8, gguf_string("llama")),
        gguf_kv("llama.context_length", 4, struct.pack("<I", SEQ)),
        gguf_kv("llama.embedding_length", 4, struct.pack("<I", DIM)),
        gguf_kv("llama.feed_forward_length", 4, struct.pack("<I", HIDDEN)),
        gguf_kv("llama.block_count", 4, struct.pack("<I", LAYERS)),
        gguf_kv("llama.attention.head_count", 4, struct.pack("<I", HEADS)),
        gguf_kv("llama.attention.head_count_kv", 4, struct.pack("<I", KV_HEADS)),
        gguf_kv("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5)),
        gguf_kv("tokenizer.ggml.model", 8, gguf_string("llama")),
        gguf_kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, VOCAB) +
                b"".join(gguf_string(p.replace(" ", "\u2581")) for p in PIECES)),
        gguf_kv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, VOCAB) +
                b"".join(struct.pack("<f", -i) for i in range(VOCAB))),
        gguf_kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, VOCAB) +
                struct.pack("<8i", 2, 3, 3, 1, 1, 1, 1, 1)),
    ]
    tensors = [("token_embd.weight", [DIM, VOCAB], True), ("output_norm.weight", [DIM], False)]
    for name, shape, matrix in [("attn_norm", [DIM], False), ("attn_q", [DIM, DIM], True),
                                ("attn_k", [DIM, kv_dim], True), ("attn_v", [DIM, kv_dim], True),
                                ("attn_output", [DIM, DIM], True), ("ffn_norm", [DIM], False),
                                ("ffn_gate", [DIM, HIDDEN], True), ("ffn_down", [HIDDEN, DIM], True),
                                ("ffn_up", [DIM, HIDDEN], True)]:
        tensors.append((f"blk.0.{name}.weight", shape, matrix))
    infos, blob = b"", b""
    for index, (name, shape, matrix) in enumerate(tensors):
        count = 1
        for d in shape:
            count *= d
        kind = tensor_type if matrix else 0
        values = [((index * 7 + i * 3) % 11 - 5) / 8.0 for i in range(count)]
        data = struct.pack(f"<{count}{'e' if kind == 1 else 'f'}", *values)
        offset = len(blob)
        infos += gguf_string(name) + struct.pack("<I", len(shape))
        infos += b"".join(struct.pack("<Q", d) for d in shape) + struct.pack("<IQ", kind, offset)
        blob += data + b"\0" * ((-len(data)) % 32)
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + infos
    return head + b"\0" * ((-len(head)) % 32) + blob


def tokenizer_file():
    out = struct.pack("<i", max(len(p) for p in PIECES))
    for index, piece in enumerate(PIECES):
        out += struct.pack("<fi", -index, len(piece)) + piece.encode()
    return out


def write(harness, name, data):
    with open(os.path.join(CORPUS, harness, name), "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tessera = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("legacy", "v1", "v2"):
            path = os.path.join(tmp, f"{fmt}.bin")
            subprocess.run([tessera, "synth-model", path, "--dim", str(DIM), "--hidden-dim",
                            str(HIDDEN), "--layers", str(LAYERS), "--heads", str(HEADS),
                            "--kv-heads", str(KV_HEADS), "--vocab", str(VOCAB), "--seq-len",
                            str(SEQ), "--format", fmt, "--group-size", "8", "--quiet"],
                           check=True)
            shutil.copy(path, os.path.join(CORPUS, "checkpoint_fuzzer", f"{fmt}.bin"))
    write("checkpoint_fuzzer", "f32.gguf", gguf(0))
    write("checkpoint_fuzzer", "f16.gguf", gguf(1))
    write("tokenizer_fuzzer", "tok8.bin", struct.pack("<H", VOCAB - 1) + tokenizer_file())


if __name__ == "__main__":
    main()
