#!/usr/bin/env python3
"""Writes a deterministic mixed-script test corpus (>= 1 MiB of UTF-8) as JSON lines, one text
per line: English prose, source code, CJK, Hangul (precomposed and as jamo), Arabic with
diacritics, Devanagari with nukta/virama, Greek, Cyrillic, decomposed Latin accents, emoji with
ZWJ / skin tones / flags / keycaps, whitespace runs (tabs, CRLF, NBSP, ideographic space), long
digit strings, very long words, and the special-token strings of common models.

Usage: make_corpus.py OUT.jsonl [--min-bytes N]
"""
import json
import os
import random
import sys

WORDS = ("the of and to in is was that for it with as his on be at by had are but from or have an "
         "they which one you were all we can her has there been if more when will would who so no "
         "time about people could into year your some them see other than then now only its over "
         "think also back after use two how our work first well way even new want because any these "
         "give day most us tokenizer model token merge vocabulary inference kernel quantized matrix "
         "server stream latency throughput").split()
CONTRACTIONS = ["don't", "it's", "we're", "they've", "I'm", "you'll", "she'd", "HE'S", "We'Re", "can't"]
CODE = [
    "def {f}(x, y=None):\n    \"\"\"Return the {w}.\"\"\"\n    if y is None:\n        return x * {n}\n    return x + y  # {w}\n",
    "for (int i = 0; i < {n}; ++i) {{\n\tsum += data[i] * 0x{h};\n}}\n",
    "const {f} = async (req, res) => {{ await db.query(`SELECT * FROM t WHERE id=${{id}}`); }};\n",
    "{{\"name\": \"{w}\", \"value\": {n}, \"list\": [1, 2.5, -3e10, null, true], \"nested\": {{\"k\": \"v\"}}}}\n",
    "#include <vector>\nstd::vector<int> {f}(const std::string& s) {{ return {{}}; }}  // {w}\n",
    "    if (x != y && z >= {n}) {{ return a->b.c[d] ?: e; }} /* {w} */\r\n",
    "SELECT {w}, COUNT(*) AS n FROM logs WHERE ts > '2024-01-01' GROUP BY 1 ORDER BY n DESC;\n",
    "<div class=\"{w}\"><a href=\"https://example.com/{w}?q={n}&lang=en\">{w}</a></div>\n",
]
ARABIC_WORDS = ["مرحبا", "بالعالم", "اللغة", "العربية", "كتاب", "مدرسة", "الحاسوب", "شكرا", "السلام", "عليكم"]
HINDI_WORDS = ["नमस्ते", "दुनिया", "भाषा", "हिन्दी", "विद्यालय", "कंप्यूटर", "धन्यवाद", "प्रश्न", "क़लम", "ज़िंदगी"]
CJK_TEXT = "我们今天学习自然语言处理。这个模型的速度很快，但是内存占用比较大。日本語のテキストも含まれています。カタカナとひらがな。"
GREEK = "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο ΣΊΣΥΦΟΣ"
CYRILLIC = "Съешь же ещё этих мягких французских булок, да выпей чаю. ЁЖИК"
LATIN_EXT = ["naïve", "café", "Ångström", "Đặng Thị Ngọc", "Tiếng Việt", "Œuvre", "straße", "ﬁnance", "Ｆｕｌｌｗｉｄｔｈ", "İstanbul", "ǅemal"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "🇯🇵", "1️⃣", "❤️", "🧑🏿‍💻", "👩‍❤️‍💋‍👨", "🫠", "✨", "🐍", "⚡"]
SPACES = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\u00a0", "\u3000", "\u2003", "    \t  ", "\n\n\n\n", " " * 17]
SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>", "<s>", "</s>",
            "<unk>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<|start|>", "<|message|>",
            "<｜begin▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "<pad>", "[INST]"]


def rand_cjk(r, n):
    return "".join(chr(r.randint(0x4E00, 0x9FA5)) for _ in range(n))


def rand_hangul(r, n, decomposed):
    s = "".join(chr(r.randint(0xAC00, 0xD7A3)) for _ in range(n))
    if decomposed:
        import unicodedata
        s = unicodedata.normalize("NFD", s)
    return s


def rand_arabic(r, n):
    out = []
    for _ in range(n):
        out.append(chr(r.randint(0x0621, 0x064A)))
        if r.random() < 0.4:
            out.append(chr(r.randint(0x064B, 0x0652)))
    return "".join(out)


def rand_devanagari(r, n):
    out = []
    for _ in range(n):
        out.append(chr(r.randint(0x0915, 0x0939)))
        x = r.random()
        if x < 0.15:
            out.append("\u093c")  # nukta (its compositions are excluded from NFC)
        if x < 0.5:
            out.append(chr(r.randint(0x093E, 0x094C)))
        elif x < 0.6:
            out.append("\u094d")
    return "".join(out)


def decomposed_latin(r):
    base = r.choice("aeiouAEIOUnc")
    marks = r.sample(["\u0301", "\u0300", "\u0308", "\u0323", "\u0302", "\u0327", "\u031b"], r.randint(1, 3))
    return base + "".join(marks)


def english(r):
    words = []
    for _ in range(r.randint(8, 40)):
        x = r.random()
        if x < 0.08:
            words.append(r.choice(CONTRACTIONS))
        elif x < 0.12:
            words.append(str(r.randint(0, 10 ** r.randint(1, 9))))
        elif x < 0.15:
            words.append(r.choice(WORDS).upper())
        else:
            words.append(r.choice(WORDS))
    s = " ".join(words)
    return s[0].upper() + s[1:] + r.choice([".", "!", "?", "...", ";", ":", " —", ","])


def fragment(r):
    k = r.randint(0, 15)
    if k <= 3:
        return english(r)
    if k == 4:
        t = r.choice(CODE)
        return t.format(f=r.choice(WORDS) + "_" + r.choice(WORDS), w=r.choice(WORDS), n=r.randint(0, 99999),
                        h="%X" % r.randint(0, 0xFFFFFF))
    if k == 5:
        i = r.randint(0, len(CJK_TEXT) - 10)
        return CJK_TEXT[i:i + r.randint(5, 40)] + rand_cjk(r, r.randint(0, 12))
    if k == 6:
        return " ".join(r.choice(ARABIC_WORDS) for _ in range(r.randint(2, 8))) + " " + rand_arabic(r, r.randint(3, 12))
    if k == 7:
        return " ".join(r.choice(HINDI_WORDS) for _ in range(r.randint(2, 8))) + " " + rand_devanagari(r, r.randint(3, 12))
    if k == 8:
        return "".join(r.choice(EMOJI) for _ in range(r.randint(1, 8)))
    if k == 9:
        return r.choice(SPACES) * r.randint(1, 3)
    if k == 10:
        return "".join(r.choice("0123456789") for _ in range(r.randint(10, 300)))
    if k == 11:
        return rand_hangul(r, r.randint(2, 10), r.random() < 0.5)
    if k == 12:
        return r.choice([GREEK, CYRILLIC, " ".join(r.sample(LATIN_EXT, 4))])
    if k == 13:
        return "".join(decomposed_latin(r) for _ in range(r.randint(1, 5))) + " ▁Ġ▁▁x"
    if k == 14:
        return r.choice(SPECIALS)
    n = r.randint(3000, 6000) if r.random() < 0.05 else r.randint(20, 300)
    return "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def main():
    out = sys.argv[1]
    min_bytes = 1 << 20
    if "--min-bytes" in sys.argv:
        min_bytes = int(sys.argv[sys.argv.index("--min-bytes") + 1])
    r = random.Random(20240521)
    texts = []
    total = 0
    while total < min_bytes:
        parts = []
        for _ in range(r.randint(1, 12)):
            parts.append(fragment(r))
            if r.random() < 0.7:
                parts.append(r.choice([" ", "\n", "", " ", "\t", "  "]))
        t = "".join(parts)
        texts.append(t)
        total += len(t.encode("utf-8"))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    print(f"{len(texts)} texts, {total} bytes")


if __name__ == "__main__":
    main()
