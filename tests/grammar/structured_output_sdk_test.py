#!/usr/bin/env python3
"""Structured output enforced while sampling, through the official SDKs, on a live rmlx-host.

Usage: structured_output_sdk_test.py RMLX_HOST_BIN [MODEL_DIR]
MODEL_DIR defaults to $RMLX_TEST_MODEL_DIR, then the prepared default model (SmolLM2-135M-Instruct).
Exits 77 (skip) when the model or a Python package is missing.

A 135M model left alone rarely writes JSON that follows a schema; every answer here must validate
(jsonschema), so the grammar mask is what makes them pass.
"""
import concurrent.futures
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import live_server  # noqa: E402

SKIP = live_server.SKIP

try:
    import anthropic
    import jsonschema
    import openai
except ImportError as e:  # pragma: no cover
    print(f"skipping: {e}")
    sys.exit(SKIP)


HOST_BIN, MODEL_DIR = live_server.host_and_model_from_argv()
MODEL = os.path.basename(os.path.normpath(MODEL_DIR))

# Five schemas: types, enums, required / optional, arrays with bounds, nested objects, anyOf,
# patterns. Every string is bounded so a document always ends within max_tokens.
SCHEMAS = [
    ("person", "Describe a person", {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 24},
            "age": {"type": "integer"},
            "height_m": {"type": "number"},
            "student": {"type": "boolean"},
            "nickname": {"type": ["string", "null"], "maxLength": 12},
        },
        "required": ["name", "age", "student"],
        "additionalProperties": False,
    }),
    ("order", "Write a coffee order", {
        "type": "object",
        "properties": {
            "drink": {"enum": ["espresso", "latte", "tea", "water"]},
            "size": {"enum": ["S", "M", "L"]},
            "sugar": {"type": "integer", "enum": [0, 1, 2]},
            "note": {"type": "string", "maxLength": 20},
        },
        "required": ["drink", "size"],
        "additionalProperties": False,
    }),
    ("shopping", "Make a shopping list", {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 16},
                      "minItems": 2, "maxItems": 4},
            "budgets": {"type": "array", "items": {"type": "number"}, "maxItems": 3},
        },
        "required": ["items"],
        "additionalProperties": False,
    }),
    ("company", "Describe a company and its office", {
        "type": "object",
        "properties": {
            "company": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 20},
                    "office": {
                        "type": "object",
                        "properties": {
                            "city": {"type": "string", "maxLength": 16},
                            "floors": {"type": "integer"},
                        },
                        "required": ["city", "floors"],
                        "additionalProperties": False,
                    },
                },
                "required": ["name", "office"],
                "additionalProperties": False,
            },
            "public": {"type": "boolean"},
        },
        "required": ["company", "public"],
        "additionalProperties": False,
    }),
    ("ticket", "Open a support ticket", {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3,5}$"},
            "priority": {"anyOf": [{"type": "integer"}, {"enum": ["low", "high"]}]},
            "contact": {"anyOf": [
                {"type": "object", "properties": {"email": {"type": "string", "pattern": "^[a-z]{1,8}@[a-z]{1,8}[.]com$"}},
                 "required": ["email"], "additionalProperties": False},
                {"type": "object", "properties": {"phone": {"type": "string", "pattern": "^[0-9]{6,10}$"}},
                 "required": ["phone"], "additionalProperties": False},
            ]},
            "tags": {"type": "array", "items": {"enum": ["bug", "billing", "ui"]}, "minItems": 1,
                     "maxItems": 2},
        },
        "required": ["id", "priority", "contact"],
        "additionalProperties": False,
    }),
]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "the city", "maxLength": 30},
                "unit": {"enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the local time in a time zone",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string", "maxLength": 30}},
                       "required": ["zone"]},
    },
}


class Server(live_server.Server):
    def __init__(self, *extra):
        super().__init__(HOST_BIN, MODEL_DIR, *extra)

    def oai(self):
        return openai.OpenAI(base_url=f"{self.base_url}/v1", api_key="none", max_retries=0)

    def ant(self):
        return anthropic.Anthropic(base_url=self.base_url, api_key="none", max_retries=0)


SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server()


def tearDownModule():
    SERVER.stop()


class JsonSchema(unittest.TestCase):
    def one(self, name, ask, schema, k):
        # Greedy for the first of each schema, then seeded sampling for variety.
        r = SERVER.oai().chat.completions.create(
            model=MODEL, max_tokens=400, temperature=0 if k == 0 else 0.8, seed=k,
            messages=[{"role": "user", "content": f"{ask} (example {k + 1}), as JSON."}],
            response_format={"type": "json_schema",
                             "json_schema": {"name": name, "schema": schema, "strict": True}})
        c = r.choices[0]
        return name, k, c.finish_reason, c.message.content

    def test_fifty_requests_over_five_schemas_all_validate(self):
        jobs = [(name, ask, schema, k) for name, ask, schema in SCHEMAS for k in range(10)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
            results = list(pool.map(lambda j: self.one(*j), jobs))
        schemas = {name: schema for name, _, schema in SCHEMAS}
        valid = 0
        for name, k, finish, content in results:
            with self.subTest(schema=name, example=k):
                self.assertEqual(finish, "stop", content)
                doc = json.loads(content)
                jsonschema.validate(doc, schemas[name])
                valid += 1
        print(f"json_schema: {valid}/{len(jobs)} documents valid over {len(SCHEMAS)} schemas",
              file=sys.stderr)
        self.assertEqual(valid, 50)
        # Distinct documents: sampling still chooses within the grammar.
        self.assertGreater(len({c for _, _, _, c in results}), 25)

    def test_streamed_document_equals_the_whole_one(self):
        name, ask, schema = SCHEMAS[4]
        kw = dict(model=MODEL, max_tokens=400, temperature=0,
                  messages=[{"role": "user", "content": ask}],
                  response_format={"type": "json_schema",
                                   "json_schema": {"name": name, "schema": schema}})
        whole = SERVER.oai().chat.completions.create(**kw).choices[0].message.content
        parts = [ch.choices[0].delta.content or ""
                 for ch in SERVER.oai().chat.completions.create(stream=True, **kw) if ch.choices]
        self.assertEqual("".join(parts), whole)
        jsonschema.validate(json.loads(whole), schema)

    def test_a_schema_that_cannot_be_enforced_is_refused(self):
        with self.assertRaises(openai.BadRequestError) as e:
            SERVER.oai().chat.completions.create(
                model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}],
                response_format={"type": "json_schema", "json_schema": {
                    "name": "x", "schema": {"type": "object", "properties": {
                        "n": {"type": "integer", "minimum": 3}}}}})
        self.assertIn("unsupported keyword 'minimum' at #/properties/n", str(e.exception))


class OpenAITools(unittest.TestCase):
    def test_two_turn_conversation_with_a_named_function(self):
        msgs = [{"role": "user", "content": "What's the weather in Paris this week?"}]
        for tool_choice in ({"type": "function", "function": {"name": "get_weather"}},
                            {"type": "function", "function": {"name": "get_time"}}):
            name = tool_choice["function"]["name"]
            r = SERVER.oai().chat.completions.create(
                model=MODEL, temperature=0, max_tokens=80, messages=msgs,
                tools=[WEATHER_TOOL, TIME_TOOL], tool_choice=tool_choice)
            c = r.choices[0]
            self.assertEqual(c.finish_reason, "tool_calls", c.message)
            self.assertEqual(len(c.message.tool_calls), 1)
            call = c.message.tool_calls[0]
            self.assertEqual(call.function.name, name)
            self.assertTrue(call.id.startswith("call_"))
            tool = WEATHER_TOOL if name == "get_weather" else TIME_TOOL
            jsonschema.validate(json.loads(call.function.arguments),
                                tool["function"]["parameters"])
        # The first call's result goes back; the answer is text.
        r = SERVER.oai().chat.completions.create(
            model=MODEL, temperature=0, max_tokens=80, messages=msgs, tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}})
        call = r.choices[0].message.tool_calls[0]
        second = SERVER.oai().chat.completions.create(
            model=MODEL, temperature=0, max_tokens=30, tools=[WEATHER_TOOL],
            messages=msgs + [{"role": "assistant", "content": None,
                              "tool_calls": [call.model_dump()]},
                             {"role": "tool", "tool_call_id": call.id,
                              "content": "18 C and sunny"}],
            tool_choice="auto")
        self.assertTrue(second.choices[0].message.content)

    def test_required_with_one_tool_and_streaming(self):
        chunks = list(SERVER.oai().chat.completions.create(
            model=MODEL, temperature=0.7, seed=3, max_tokens=80, stream=True,
            messages=[{"role": "user", "content": "Weather in Oslo in fahrenheit?"}],
            tools=[WEATHER_TOOL], tool_choice="required"))
        args = "".join(tc.function.arguments or "" for ch in chunks if ch.choices
                       for tc in (ch.choices[0].delta.tool_calls or []))
        finish = [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1]
        self.assertEqual(finish, "tool_calls")
        jsonschema.validate(json.loads(args), WEATHER_TOOL["function"]["parameters"])


    def test_required_with_several_tools_writes_one_valid_call(self):
        tools = {"get_weather": WEATHER_TOOL, "get_time": TIME_TOOL}
        for question in ("What's the weather in Rome?", "What time is it in Tokyo?"):
            r = SERVER.oai().chat.completions.create(
                model=MODEL, temperature=0, max_tokens=80, tool_choice="required",
                messages=[{"role": "user", "content": question}], tools=list(tools.values()))
            c = r.choices[0]
            self.assertEqual(c.finish_reason, "tool_calls", c.message)
            call = c.message.tool_calls[0]
            self.assertIn(call.function.name, tools)
            jsonschema.validate(json.loads(call.function.arguments),
                                tools[call.function.name]["function"]["parameters"])


    def test_strict_tool_under_auto_is_constrained_once_the_call_opens(self):
        # SmolLM2 does not call tools by itself under "auto": the assistant turn is begun with
        # the call tag, and the strict tool's grammar takes over from there.
        strict = json.loads(json.dumps(WEATHER_TOOL))
        strict["function"]["strict"] = True
        r = SERVER.oai().chat.completions.create(
            model=MODEL, temperature=0, max_tokens=60, tools=[strict, TIME_TOOL],
            messages=[{"role": "user", "content": "What's the weather in Paris?"},
                      {"role": "assistant", "content": "<tool_call>\n"}],
            extra_body={"continue_final_message": True})
        calls = r.choices[0].message.tool_calls
        self.assertTrue(calls, r.choices[0].message)
        self.assertEqual(calls[0].function.name, "get_weather")
        jsonschema.validate(json.loads(calls[0].function.arguments),
                            WEATHER_TOOL["function"]["parameters"])


class AnthropicTools(unittest.TestCase):
    def test_tool_use_conversation_streaming_and_not(self):
        tool = {"name": "get_weather", "description": WEATHER_TOOL["function"]["description"],
                "input_schema": WEATHER_TOOL["function"]["parameters"]}
        msgs = [{"role": "user", "content": "What's the weather in Paris?"}]
        uses = []
        for stream in (False, True):
            kw = dict(model=MODEL, max_tokens=80, extra_body={"temperature": 0}, tools=[tool],
                      messages=msgs, tool_choice={"type": "tool", "name": "get_weather"})
            if stream:
                with SERVER.ant().messages.stream(**kw) as s:
                    m = s.get_final_message()
            else:
                m = SERVER.ant().messages.create(**kw)
            self.assertEqual(m.stop_reason, "tool_use", m.content)
            use = [b for b in m.content if b.type == "tool_use"][0]
            self.assertEqual(use.name, "get_weather")
            jsonschema.validate(use.input, tool["input_schema"])
            uses.append(use)
        self.assertEqual(uses[0].input, uses[1].input)
        follow = SERVER.ant().messages.create(
            model=MODEL, max_tokens=30, extra_body={"temperature": 0}, tools=[tool],
            messages=msgs + [{"role": "assistant", "content": [uses[1].model_dump()]},
                             {"role": "user", "content": [{"type": "tool_result",
                                                           "tool_use_id": uses[1].id,
                                                           "content": "18 C and sunny"}]}],
            tool_choice={"type": "none"})
        self.assertTrue(follow.content[0].text)


class ReasoningBudget(unittest.TestCase):
    """SmolLM2 does not think by itself: the assistant turn is begun inside a <think> block
    (continue_final_message / an Anthropic prefill) and the server reads it with the think
    parser. At the budget the block is closed for the model."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--reasoning-parser", "think", "--reasoning-budget", "40")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    MSGS = [{"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "<think>\nLet me think."}]

    def test_openai_budget_closes_the_block(self):
        for budget in (5, 12):
            r = self.server.oai().chat.completions.create(
                model=MODEL, temperature=0, max_tokens=80, messages=self.MSGS,
                extra_body={"reasoning_budget": budget, "continue_final_message": True})
            self.assertEqual(r.usage.completion_tokens_details.reasoning_tokens, budget)
            self.assertTrue(r.choices[0].message.content)
            self.assertNotIn("<think>", r.choices[0].message.content)

    def test_server_default_budget(self):
        r = self.server.oai().chat.completions.create(
            model=MODEL, temperature=0, max_tokens=120, messages=self.MSGS,
            extra_body={"continue_final_message": True, "ignore_eos": True})
        self.assertGreater(r.usage.completion_tokens_details.reasoning_tokens, 30)
        self.assertLessEqual(r.usage.completion_tokens_details.reasoning_tokens, 40)
        self.assertTrue(r.choices[0].message.content)

    def test_anthropic_budget_tokens(self):
        m = self.server.ant().messages.create(
            model=MODEL, max_tokens=60, extra_body={"temperature": 0}, messages=self.MSGS,
            thinking={"type": "enabled", "budget_tokens": 5})
        self.assertEqual([b.type for b in m.content], ["thinking", "text"])
        self.assertTrue(m.content[1].text)

    def test_json_answer_after_the_budget(self):
        name, ask, schema = SCHEMAS[1]
        r = self.server.oai().chat.completions.create(
            model=MODEL, temperature=0, max_tokens=120,
            messages=[{"role": "user", "content": ask},
                      {"role": "assistant", "content": "<think>\nThe order"}],
            response_format={"type": "json_schema", "json_schema": {"name": name, "schema": schema}},
            extra_body={"reasoning_budget": 8, "continue_final_message": True})
        c = r.choices[0]
        self.assertEqual(r.usage.completion_tokens_details.reasoning_tokens, 8)
        jsonschema.validate(json.loads(c.message.content), schema)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
