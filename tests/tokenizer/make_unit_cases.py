#!/usr/bin/env python3
"""Generates unit_cases.json: expected outputs of Python `tokenizers` for each component
(normalizers, pre-tokenizers, decoders) and for small whole tokenizers (every model type,
post-processor and added-token option). unit_test.cpp replays them against rmlx_tokenizer.

Usage: make_unit_cases.py > unit_cases.json   (rerun when adding cases; needs `tokenizers`)
"""
import json
import sys

from tokenizers import (AddedToken, Regex, Tokenizer, decoders as D, models as M, normalizers as N,
                        pre_tokenizers as P, processors as PP, trainers as T)

TEXTS = [
    "Hello, World! It's 2024 — naïve café.",
    "  leading and trailing spaces  ",
    "multiple     spaces\tand\ttabs\nnew\r\nlines",
    "Ångström ﬁ ① ＡＢＣ ǅ İ ΣΑΣ straße",
    "e\u0301 a\u0308\u0323 \u1e9b\u0323 한국어 \u1100\u1161\u11a8",
    "中文字符和日本語のテキスト",
    "مرحبا بالعالم",
    "नमस्ते क़लम",
    "emoji 👨‍👩‍👧 🇫🇷 1️⃣",
    "digits 1234567890 and ٣٤٥",
    "punctuation: (a) [b] {c} «d» ¿e? ¡f! a-b_c",
    "don't I'm we're they've HE'S",
    "",
    "▁already▁has▁metaspace",
]

WORDS = ("the quick brown fox jumps over the lazy dog hello world tokenizer tokens token merge merges "
         "unbelievable unhappiness running runner runs ran naïve café 中文 日本語 مرحبا नमस्ते 1234 "
         "don't it's I'm").split()
TRAIN = [" ".join(WORDS[i:] + WORDS[:i]) for i in range(len(WORDS))] * 3


def state(obj):
    return json.loads(obj.__getstate__())


def normalizer_cases():
    items = [
        N.NFC(), N.NFD(), N.NFKC(), N.NFKD(), N.Lowercase(), N.Strip(), N.Strip(left=True, right=False),
        N.StripAccents(), N.Replace(" ", "_"), N.Replace(Regex(r"\s+"), " "), N.Replace(Regex(r"\p{N}"), "#"),
        N.Prepend("▁"), N.BertNormalizer(), N.BertNormalizer(lowercase=False, strip_accents=False),
        N.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=True, lowercase=True),
        N.Sequence([N.NFD(), N.StripAccents(), N.Lowercase()]),
        N.Sequence([N.Prepend("▁"), N.Replace(" ", "▁")]),
    ]
    out = []
    for n in items:
        out.append({"json": state(n), "cases": [[t, n.normalize_str(t)] for t in TEXTS]})
    return out


def pre_tokenizer_cases():
    items = [
        P.ByteLevel(), P.ByteLevel(add_prefix_space=False), P.ByteLevel(add_prefix_space=False, use_regex=False),
        P.Whitespace(), P.WhitespaceSplit(), P.BertPreTokenizer(), P.Punctuation(), P.Punctuation("removed"),
        P.Punctuation("contiguous"), P.Digits(), P.Digits(individual_digits=True),
        P.Metaspace(), P.Metaspace(prepend_scheme="first"), P.Metaspace(prepend_scheme="never"),
        P.Metaspace(split=False), P.CharDelimiterSplit("-"),
        P.Split(" ", "removed"), P.Split(" ", "isolated"), P.Split(" ", "merged_with_previous"),
        P.Split(" ", "merged_with_next"), P.Split(" ", "contiguous"),
        P.Split(Regex(r"\p{L}+"), "isolated", invert=True), P.Split(Regex(r"\s+"), "merged_with_next"),
        P.Split(Regex(r"\d"), "contiguous"), P.Split(Regex(r"[aeiou]"), "removed", invert=True),
        P.Split(Regex(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"), "isolated"),
        P.Sequence([P.WhitespaceSplit(), P.Digits(individual_digits=True)]),
        P.Sequence([P.Split(Regex(r"\p{N}{1,3}"), "isolated"), P.ByteLevel(add_prefix_space=False, use_regex=False)]),
    ]
    out = []
    for p in items:
        out.append({"json": state(p), "cases": [[t, [s for s, _ in p.pre_tokenize_str(t)]] for t in TEXTS]})
    return out


def decoder_cases():
    token_lists = [
        ["▁Hello", "▁world", "!", "<0xE2>", "<0x82>", "<0xAC>", "▁", "<0xFF>", "x"],
        ["ĠHello", "Ġworld", "Ċ", "Ã©", "<|special|>", "ä¸Ń"],
        ["hel", "##lo", "world", ",", "do", "n't", "##s", ".", "?"],
        ["he", "llo</w>", "wor", "ld</w>"],
        ["<pad>", "h", "h", "e", "<pad>", "l", "l", "<pad>", "l", "o", "|", "w", "o", "|"],
        ["  a  ", " b ", "c"],
        ["▁▁lead", "▁x▁y", "z▁"],
    ]
    items = [
        D.ByteLevel(), D.Metaspace(), D.Metaspace(prepend_scheme="never"), D.ByteFallback(), D.Fuse(),
        D.Strip(" ", 1, 0), D.Strip(" ", 2, 1), D.Replace("▁", " "), D.WordPiece(), D.WordPiece(cleanup=False),
        D.BPEDecoder(), D.CTC(),
        D.Sequence([D.Replace("▁", " "), D.ByteFallback(), D.Fuse(), D.Strip(" ", 1, 0)]),
    ]
    out = []
    for d in items:
        out.append({"json": state(d), "cases": [[toks, d.decode(toks)] for toks in token_lists]})
    return out


def with_common_texts(tok, extra=()):
    cases = []
    for t in list(TEXTS) + list(extra):
        a = tok.encode(t, add_special_tokens=True).ids
        b = tok.encode(t, add_special_tokens=False).ids
        cases.append({"text": t, "ids": a, "ids_no_special": b, "decoded": tok.decode(a, skip_special_tokens=False),
                      "decoded_skip": tok.decode(a, skip_special_tokens=True)})
    return {"tokenizer": json.loads(tok.to_str()), "cases": cases}


def byte_level_bpe(add_prefix_space, processor):
    tok = Tokenizer(M.BPE())
    tok.normalizer = N.NFC()
    tok.pre_tokenizer = P.ByteLevel(add_prefix_space=add_prefix_space)
    tok.decoder = D.ByteLevel()
    tok.train_from_iterator(TRAIN, T.BpeTrainer(vocab_size=400, initial_alphabet=P.ByteLevel.alphabet(),
                                                special_tokens=["<s>", "</s>", "<pad>"], show_progress=False))
    tok.post_processor = processor(tok)
    return tok


def sentencepiece_bpe(ignore_merges, scheme):
    tok = Tokenizer(M.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True, ignore_merges=ignore_merges))
    tok.normalizer = N.Sequence([N.Prepend("▁"), N.Replace(" ", "▁")]) if scheme is None else None
    if scheme is not None:
        tok.pre_tokenizer = P.Metaspace(prepend_scheme=scheme)
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tok.train_from_iterator(TRAIN, T.BpeTrainer(vocab_size=600, special_tokens=specials, show_progress=False))
    tok.decoder = D.Sequence([D.Replace("▁", " "), D.ByteFallback(), D.Fuse(), D.Strip(" ", 1, 0)]) \
        if scheme is None else D.Metaspace(prepend_scheme=scheme)
    tok.post_processor = PP.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return tok


def suffix_bpe():
    tok = Tokenizer(M.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.normalizer = N.Lowercase()
    tok.pre_tokenizer = P.Whitespace()
    tok.train_from_iterator(TRAIN, T.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"], continuing_subword_prefix="##",
                                                end_of_word_suffix="</w>", show_progress=False))
    tok.decoder = D.BPEDecoder()
    return tok


def wordpiece():
    tok = Tokenizer(M.WordPiece(unk_token="[UNK]"))
    tok.normalizer = N.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = P.BertPreTokenizer()
    tok.train_from_iterator(TRAIN, T.WordPieceTrainer(vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                                                      show_progress=False))
    tok.post_processor = PP.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")), ("[CLS]", tok.token_to_id("[CLS]")))
    tok.decoder = D.WordPiece()
    return tok


def unigram(byte_fallback):
    tok = Tokenizer(M.Unigram())
    tok.normalizer = N.NFKC()
    tok.pre_tokenizer = P.Metaspace()
    tok.train_from_iterator(TRAIN, T.UnigramTrainer(vocab_size=200, special_tokens=["<unk>", "<s>", "</s>"], unk_token="<unk>",
                                                    show_progress=False))
    if byte_fallback:
        data = json.loads(tok.to_str())
        data["model"]["byte_fallback"] = True
        data["model"]["vocab"] += [[f"<0x{b:02X}>", 0.0] for b in range(256)]
        tok = Tokenizer.from_str(json.dumps(data))
    tok.decoder = D.Sequence([D.ByteFallback(), D.Metaspace()]) if byte_fallback else D.Metaspace()
    tok.post_processor = PP.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    return tok


def wordlevel():
    tok = Tokenizer(M.WordLevel(unk_token="[UNK]"))
    tok.normalizer = N.Sequence([N.NFKC(), N.Lowercase(), N.Strip()])
    tok.pre_tokenizer = P.Sequence([P.Whitespace(), P.Digits(individual_digits=True)])
    tok.train_from_iterator(TRAIN, T.WordLevelTrainer(vocab_size=100, special_tokens=["[UNK]", "[CLS]"], show_progress=False))
    tok.post_processor = PP.TemplateProcessing(single="[CLS] $A", special_tokens=[("[CLS]", 1)])
    return tok


def added_tokens(tok):
    tok.add_special_tokens([AddedToken("<|special|>", special=True)])
    tok.add_tokens([AddedToken("[LS]", lstrip=True), AddedToken("[RS]", rstrip=True),
                    AddedToken("word", single_word=True), AddedToken("café", normalized=True),
                    AddedToken("Hello", normalized=False)])
    return tok


ADDED_TEXTS = ["a <|special|>b  [LS]  c [RS]   d", "word words sword word_ word!", "CAFÉ café Hello hello",
               "<|special|><|special|>", " [LS][RS] "]


def tokenizer_cases():
    out = []
    out.append(with_common_texts(byte_level_bpe(False, lambda t: PP.ByteLevel(trim_offsets=False))))
    out.append(with_common_texts(byte_level_bpe(True, lambda t: PP.RobertaProcessing(("</s>", t.token_to_id("</s>")),
                                                                                   ("<s>", t.token_to_id("<s>"))))))
    out.append(with_common_texts(byte_level_bpe(False, lambda t: PP.Sequence([PP.ByteLevel(), PP.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", t.token_to_id("<s>")), ("</s>", t.token_to_id("</s>"))])]))))
    out.append(with_common_texts(sentencepiece_bpe(False, None)))
    out.append(with_common_texts(sentencepiece_bpe(True, None)))
    for scheme in ["always", "first", "never"]:
        out.append(with_common_texts(added_tokens(sentencepiece_bpe(False, scheme)), ADDED_TEXTS))
    out.append(with_common_texts(suffix_bpe()))
    out.append(with_common_texts(added_tokens(wordpiece()), ADDED_TEXTS))
    out.append(with_common_texts(unigram(False)))
    out.append(with_common_texts(added_tokens(wordlevel()), ADDED_TEXTS))
    out.append(with_common_texts(added_tokens(unigram(True)), ADDED_TEXTS))
    out.append(with_common_texts(added_tokens(byte_level_bpe(True, lambda t: PP.ByteLevel())), ADDED_TEXTS))
    return out


def main():
    json.dump({"normalizers": normalizer_cases(), "pre_tokenizers": pre_tokenizer_cases(),
               "decoders": decoder_cases(), "tokenizers": tokenizer_cases()}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
