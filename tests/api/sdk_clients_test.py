#!/usr/bin/env python3
"""The official openai and anthropic Python SDKs against a live rmlx-host.

Usage: sdk_clients_test.py RMLX_HOST_BIN [MODEL_DIR]
MODEL_DIR defaults to $RMLX_TEST_MODEL_DIR, then the default model that
scripts/prepare-default-model.sh prepares. Exits 77 (skip) when the model or
a Python package is missing.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import live_server  # noqa: E402

SKIP = live_server.SKIP

try:
    import anthropic
    import jsonschema
    import openai
    from transformers import AutoTokenizer
except ImportError as e:  # pragma: no cover
    print(f"skipping: {e}")
    sys.exit(SKIP)


HOST_BIN, MODEL_DIR = live_server.host_and_model_from_argv()
MODEL = os.path.basename(os.path.normpath(MODEL_DIR))
KEY = "sk-sdk-test"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "the city"}},
            "required": ["city"],
        },
    },
}


class Server(live_server.Server):
    def __init__(self):
        super().__init__(HOST_BIN, MODEL_DIR, "--api-key", KEY)


SERVER = None
TOK = None


def setUpModule():
    global SERVER, TOK
    SERVER = Server()
    TOK = AutoTokenizer.from_pretrained(MODEL_DIR)


def tearDownModule():
    SERVER.stop()


def oai():
    return openai.OpenAI(base_url=f"http://127.0.0.1:{SERVER.port}/v1", api_key=KEY, max_retries=0)


def ant():
    return anthropic.Anthropic(base_url=f"http://127.0.0.1:{SERVER.port}", api_key=KEY,
                               max_retries=0)


MESSAGES = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}]


def prompt_count(messages, **kw):
    ids = TOK.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, **kw)
    if hasattr(ids, "keys"):  # transformers 5 returns a BatchEncoding
        ids = ids["input_ids"]
    return len(ids)


def check_arguments(test, args, schema):
    """A forced call's arguments follow the declared schema: decoding is
    constrained by its grammar."""
    test.assertIsInstance(args, dict)
    jsonschema.validate(args, schema)


class OpenAIChat(unittest.TestCase):
    def test_non_streaming_usage_matches_the_tokenizer(self):
        r = oai().chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=12,
                                          temperature=0)
        self.assertEqual(r.object, "chat.completion")
        self.assertEqual(r.model, MODEL)
        c = r.choices[0]
        self.assertIn(c.finish_reason, ("stop", "length"))
        self.assertTrue(c.message.content)
        self.assertEqual(r.usage.prompt_tokens, prompt_count(MESSAGES))
        if c.finish_reason == "length":
            self.assertEqual(r.usage.completion_tokens, 12)
        self.assertEqual(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens)

    def test_streaming_equals_non_streaming_under_greedy(self):
        full = oai().chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=16,
                                             temperature=0)
        stream = oai().chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=16,
                                               temperature=0, stream=True,
                                               stream_options={"include_usage": True})
        text, finish, usage, ids = "", None, None, set()
        for chunk in stream:
            ids.add(chunk.id)
            if chunk.usage is not None:
                usage = chunk.usage
                self.assertEqual(chunk.choices, [])
                continue
            delta = chunk.choices[0].delta
            text += delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        self.assertEqual(len(ids), 1)
        self.assertEqual(text, full.choices[0].message.content)
        self.assertEqual(finish, full.choices[0].finish_reason)
        self.assertEqual(usage.prompt_tokens, full.usage.prompt_tokens)
        self.assertEqual(usage.completion_tokens, full.usage.completion_tokens)

    def test_n3_with_seed_is_reproducible(self):
        kw = dict(model=MODEL, messages=MESSAGES, max_tokens=12, temperature=1.0, n=3, seed=1234)
        a = oai().chat.completions.create(**kw)
        b = oai().chat.completions.create(**kw)
        self.assertEqual(len(a.choices), 3)
        self.assertEqual([c.index for c in a.choices], [0, 1, 2])
        self.assertEqual([c.message.content for c in a.choices],
                         [c.message.content for c in b.choices])
        self.assertEqual(a.usage.prompt_tokens, prompt_count(MESSAGES))
        self.assertLessEqual(a.usage.completion_tokens, 36)
        self.assertEqual(a.usage.completion_tokens, b.usage.completion_tokens)
        # Different choices of one request sample differently.
        self.assertGreater(len({c.message.content for c in a.choices}), 1)

    def test_stop_logprobs_and_max_completion_tokens(self):
        r = oai().chat.completions.create(model=MODEL, messages=MESSAGES, max_completion_tokens=5,
                                          temperature=0, logprobs=True, top_logprobs=2)
        lp = r.choices[0].logprobs.content
        self.assertEqual(len(lp), r.usage.completion_tokens)
        for entry in lp:
            self.assertLessEqual(entry.logprob, 0.0)
            self.assertEqual(len(entry.top_logprobs), 2)
            self.assertEqual(bytes(entry.bytes).decode("utf-8", "replace"), entry.token)
        first = r.choices[0].message.content
        if len(first) > 3:
            stop = first[2:4]
            s = oai().chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=5,
                                              temperature=0, stop=[stop])
            self.assertEqual(s.choices[0].finish_reason, "stop")
            self.assertEqual(s.choices[0].message.content, first[:first.index(stop)])

    def test_errors_raise_the_sdk_exceptions(self):
        with self.assertRaises(openai.NotFoundError):
            oai().chat.completions.create(model="nope", messages=MESSAGES)
        with self.assertRaises(openai.BadRequestError) as e:
            oai().chat.completions.create(model=MODEL, messages=MESSAGES, temperature=5)
        self.assertIn("'temperature' must be between", str(e.exception))
        bad = openai.OpenAI(base_url=f"http://127.0.0.1:{SERVER.port}/v1", api_key="wrong",
                            max_retries=0)
        with self.assertRaises(openai.AuthenticationError):
            bad.models.list()

    def test_tool_conversation_with_a_named_function(self):
        r = oai().chat.completions.create(
            model=MODEL, temperature=0, max_tokens=64,
            messages=[{"role": "user", "content": "What's the weather in Paris?"}],
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}})
        c = r.choices[0]
        self.assertEqual(c.finish_reason, "tool_calls", c.message)
        call = c.message.tool_calls[0]
        self.assertEqual(call.function.name, "get_weather")
        self.assertTrue(call.id.startswith("call_"))
        args = json.loads(call.function.arguments)
        self.assertIsInstance(args, dict)
        # The tool's result goes back through the chat template.
        second = oai().chat.completions.create(
            model=MODEL, temperature=0, max_tokens=24, tools=[WEATHER_TOOL],
            messages=[{"role": "user", "content": "What's the weather in Paris?"},
                      {"role": "assistant", "content": None,
                       "tool_calls": [call.model_dump()]},
                      {"role": "tool", "tool_call_id": call.id, "content": "18 C and sunny"}],
            tool_choice="none")
        self.assertTrue(second.choices[0].message.content)
        self.assertIsNone(second.choices[0].message.tool_calls)
        # SmolLM2's template renders the tool turn as a "tool" message.
        self.assertEqual(second.usage.prompt_tokens, prompt_count(
            [{"role": "user", "content": "What's the weather in Paris?"},
             {"role": "assistant", "content": ""},
             {"role": "tool", "content": "18 C and sunny"}]))
        check_arguments(self, args, WEATHER_TOOL["function"]["parameters"])


class Operations(unittest.TestCase):
    def metrics(self):
        import urllib.request
        req = urllib.request.Request(f"http://127.0.0.1:{SERVER.port}/metrics",
                                     headers={"Authorization": f"Bearer {KEY}"})
        text = urllib.request.urlopen(req).read().decode()
        out = {}
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
        return out

    def test_a_client_that_disconnects_frees_its_sequence(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=60)
        body = json.dumps({"model": MODEL, "stream": True, "max_tokens": 1500, "temperature": 1.0,
                           "ignore_eos": True,
                           "messages": [{"role": "user", "content": "Tell me a very long story."}]})
        conn.request("POST", "/v1/chat/completions", body,
                     {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        for _ in range(5):
            resp.readline()
        running = self.metrics()[f'rmlx:num_requests_running{{model_name="{MODEL}"}}']
        self.assertGreaterEqual(running, 1)
        self.assertGreater(self.metrics()[f'rmlx:kv_blocks_used{{model_name="{MODEL}"}}'], 0)
        conn.sock.close()
        conn.close()
        closed = time.time()
        deadline = closed + 20
        while time.time() < deadline:
            m = self.metrics()
            if (m[f'rmlx:num_requests_running{{model_name="{MODEL}"}}'] == 0
                    and m[f'rmlx:kv_blocks_used{{model_name="{MODEL}"}}'] == 0):
                break
            time.sleep(0.02)
        freed_after = time.time() - closed
        m = self.metrics()
        self.assertEqual(m[f'rmlx:num_requests_running{{model_name="{MODEL}"}}'], 0)
        # Its blocks went back to the pool (the next step after the failed
        # write cancels it), long before 1,500 tokens could have been made.
        self.assertEqual(m[f'rmlx:kv_blocks_used{{model_name="{MODEL}"}}'], 0)
        print(f"\n  disconnected stream: KV blocks free {freed_after * 1000:.0f} ms after close",
              file=sys.stderr)
        self.assertEqual(m[f'rmlx:num_requests_waiting{{model_name="{MODEL}"}}'], 0)
        self.assertGreater(m[f'rmlx:generation_tokens_total{{model_name="{MODEL}"}}'], 0)
        self.assertGreater(m[f'rmlx:time_to_first_token_seconds_count{{model_name="{MODEL}"}}'], 0)

    def test_a_prompt_beyond_the_context_is_refused(self):
        with self.assertRaises(openai.BadRequestError) as e:
            oai().chat.completions.create(model=MODEL, max_tokens=5, messages=[
                {"role": "user", "content": "word " * 3000}])
        self.assertEqual(e.exception.code, "context_length_exceeded")
        with self.assertRaises(openai.BadRequestError) as e:
            oai().chat.completions.create(model=MODEL, max_tokens=2040, messages=MESSAGES)
        self.assertEqual(e.exception.code, "context_length_exceeded")


class OpenAICompletions(unittest.TestCase):
    def test_completion_and_stream(self):
        prompt = "The capital of France is"
        r = oai().completions.create(model=MODEL, prompt=prompt, max_tokens=8, temperature=0)
        self.assertEqual(r.object, "text_completion")
        self.assertEqual(r.usage.prompt_tokens, len(TOK.encode(prompt)))
        text = "".join(c.choices[0].text for c in oai().completions.create(
            model=MODEL, prompt=prompt, max_tokens=8, temperature=0, stream=True) if c.choices)
        self.assertEqual(text, r.choices[0].text)
        echo = oai().completions.create(model=MODEL, prompt=prompt, max_tokens=8, temperature=0,
                                        echo=True)
        self.assertEqual(echo.choices[0].text, prompt + r.choices[0].text)


class OpenAIResponses(unittest.TestCase):
    def test_response_and_its_stream(self):
        r = oai().responses.create(model=MODEL, input="Say hello.", max_output_tokens=64,
                                   temperature=0, instructions="You are terse.")
        self.assertEqual(r.object, "response")
        self.assertEqual(r.status, "completed")
        self.assertTrue(r.output_text)
        msgs = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello."}]
        self.assertEqual(r.usage.input_tokens, prompt_count(msgs))
        events = []
        text = ""
        with oai().responses.stream(model=MODEL, input="Say hello.", max_output_tokens=64,
                                    temperature=0, instructions="You are terse.") as s:
            for ev in s:
                events.append(ev.type)
                if ev.type == "response.output_text.delta":
                    text += ev.delta
            final = s.get_final_response()
        self.assertEqual(events[0], "response.created")
        self.assertEqual(events[-1], "response.completed")
        self.assertEqual(events.count("response.output_text.done"), 1)
        self.assertEqual(text, r.output_text)
        self.assertEqual(final.output_text, r.output_text)
        follow = oai().responses.create(model=MODEL, input="Again.", previous_response_id=r.id,
                                        max_output_tokens=4, temperature=0)
        self.assertGreater(follow.usage.input_tokens, r.usage.input_tokens)


class AnthropicMessages(unittest.TestCase):
    def test_message_stream_and_count_tokens(self):
        kw = dict(model=MODEL, max_tokens=16, extra_body={"temperature": 0},
                  system="You are a helpful assistant.",
                  messages=[{"role": "user", "content": "What is the capital of France?"}])
        m = ant().messages.create(**kw)
        self.assertEqual(m.type, "message")
        self.assertEqual(m.role, "assistant")
        self.assertIn(m.stop_reason, ("end_turn", "max_tokens"))
        text = m.content[0].text
        self.assertTrue(text)
        self.assertEqual(m.usage.input_tokens + m.usage.cache_read_input_tokens,
                         prompt_count(MESSAGES))
        count = ant().messages.count_tokens(model=MODEL, system=kw["system"],
                                            messages=kw["messages"])
        self.assertEqual(count.input_tokens, prompt_count(MESSAGES))
        with ant().messages.stream(**kw) as s:
            streamed = "".join(s.text_stream)
            final = s.get_final_message()
        self.assertEqual(streamed, text)
        self.assertEqual(final.usage.output_tokens, m.usage.output_tokens)

    def test_tool_use_conversation(self):
        tool = {"name": "get_weather", "description": "Get the current weather in a city",
                "input_schema": WEATHER_TOOL["function"]["parameters"]}
        msgs = [{"role": "user", "content": "What's the weather in Paris?"}]
        for stream in (False, True):
            kw = dict(model=MODEL, max_tokens=64, extra_body={"temperature": 0}, tools=[tool],
                      messages=msgs,
                      tool_choice={"type": "tool", "name": "get_weather"})
            if stream:
                with ant().messages.stream(**kw) as s:
                    m = s.get_final_message()
            else:
                m = ant().messages.create(**kw)
            self.assertEqual(m.stop_reason, "tool_use", m.content)
            use = [b for b in m.content if b.type == "tool_use"][0]
            self.assertEqual(use.name, "get_weather")
            self.assertIsInstance(use.input, dict)
        follow = ant().messages.create(
            model=MODEL, max_tokens=24, extra_body={"temperature": 0}, tools=[tool],
            messages=msgs + [{"role": "assistant", "content": [use.model_dump()]},
                             {"role": "user", "content": [{"type": "tool_result",
                                                           "tool_use_id": use.id,
                                                           "content": "18 C and sunny"}]}],
            tool_choice={"type": "none"})
        self.assertTrue(follow.content[0].text)
        self.assertEqual(follow.stop_reason in ("end_turn", "max_tokens"), True)
        check_arguments(self, use.input, tool["input_schema"])

    def test_errors_raise_the_sdk_exceptions(self):
        with self.assertRaises(anthropic.NotFoundError):
            ant().messages.create(model="claude-x", max_tokens=5,
                                  messages=[{"role": "user", "content": "x"}])
        bad = anthropic.Anthropic(base_url=f"http://127.0.0.1:{SERVER.port}", api_key="wrong",
                                  max_retries=0)
        with self.assertRaises(anthropic.AuthenticationError):
            bad.messages.create(model=MODEL, max_tokens=5,
                                messages=[{"role": "user", "content": "x"}])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
