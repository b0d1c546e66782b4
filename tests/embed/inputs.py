"""The golden inputs: deterministic and varied (empty, one word, a 1,000-word
text that must be truncated, CJK, emoji, code, mixed case, accents, control
characters, long and short sentences)."""
import random

BASE = [
    "", " ", "hello", "Hello", "HELLO", "hElLo WoRlD", "A", "?", "...",
    "The quick brown fox jumps over the lazy dog.",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG!",
    "I love machine learning.", "Ich liebe maschinelles Lernen.",
    "J'adore l'apprentissage automatique, c'est génial.",
    "Me encanta el aprendizaje automático.", "Я люблю машинное обучение.",
    "我喜欢机器学习。", "機械学習が大好きです。", "나는 기계 학습을 좋아한다.",
    "深度学习模型在自然语言处理任务中表现出色", "東京は日本の首都です",
    "I ❤️ embeddings 🚀🔥", "😀😃😄😁😆😅😂🤣", "👩‍👩‍👧‍👦 family emoji", "🇫🇷🇩🇪🇯🇵 flags",
    "def add(a, b):\n    return a + b", "for (int i = 0; i < n; ++i) { sum += v[i]; }",
    "SELECT name, COUNT(*) FROM users GROUP BY name HAVING COUNT(*) > 1;",
    "<div class=\"main\"><p>Hello</p></div>", "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "https://example.com/path?query=1&other=two#frag", "user@example.org wrote: lgtm",
    "x = lambda y: y ** 2 if y > 0 else -y", "git commit -m 'fix: off-by-one in parser'",
    "naïve café résumé coöperate", "Ångström Æsir Œuvre straße", "tab\tseparated\tvalues",
    "line one\nline two\r\nline three", "control\u0001chars\u0007here", "zero\u200bwidth space",
    "3.14159 2.71828 1.41421", "1,000,000 dollars and 50 cents", "2024-01-01T12:00:00Z",
    "What is the capital of France?", "Paris is the capital of France.",
    "How do I reverse a linked list in Python?", "Photosynthesis converts light into energy.",
    "The mitochondria is the powerhouse of the cell.", "unbelievably", "antidisestablishmentarianism",
    "supercalifragilisticexpialidocious", "GPU", "cuDNN cuBLAS NCCL", "iPhone MacBook PlayStation",
    "McDonald's O'Reilly rock'n'roll", "#hashtag @mention $TICKER", "---===***+++",
    "αβγδε ΑΒΓΔΕ", "שלום עולם", "مرحبا بالعالم", "नमस्ते दुनिया", "สวัสดีชาวโลก",
    "Tiếng Việt có dấu", "ﬁ ligature ﬀ", "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ", "½ ¼ ¾ ² ³",
]

WORDS = ("model vector search query document semantic retrieval index cosine token encoder "
         "layer attention head network batch server request response latency throughput "
         "Apple banana Cherry dog Elephant fish Giraffe house island jungle kite Lemon mountain "
         "北京 上海 東京 서울 🚀 ✨ 🎉 café naïve über").split()


def inputs():
    rng = random.Random(1234)
    out = list(BASE)
    out.append(" ".join(rng.choice(WORDS) for _ in range(1000)))  # truncated at the limit
    out.append(" ".join(["word"] * 1000))
    out.append("x" * 3000)
    out.append("测试" * 400)
    while len(out) < 220:
        n = rng.choice([1, 2, 3, 5, 8, 13, 21, 34, 60, 120])
        words = [rng.choice(WORDS) for _ in range(n)]
        style = rng.randrange(4)
        text = " ".join(words)
        if style == 1:
            text = text.upper()
        elif style == 2:
            text = text.title() + "."
        elif style == 3:
            text = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in text)
        out.append(text)
    return out
