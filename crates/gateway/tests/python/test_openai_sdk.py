"""The official openai Python SDK, unchanged, against the gateway (unittest).

Run by tests/python_sdk.rs with GATEWAY_URL, GATEWAY_TOKEN and CHAT_MODEL set; the
gateway in front of the simulator. The SDK is pinned and installed by `cargo xtask setup`.
"""

import json
import os
import unittest

import openai

CLIENT = openai.OpenAI(
    base_url=os.environ["GATEWAY_URL"] + "/v1",
    api_key=os.environ["GATEWAY_TOKEN"],
    max_retries=0,
    timeout=20.0,
)
MODEL = os.environ["CHAT_MODEL"]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


class OpenAiSdk(unittest.TestCase):
    def test_chat(self):
        c = CLIENT.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hello sdk"}]
        )
        self.assertEqual(c.object, "chat.completion")
        self.assertEqual(c.choices[0].message.content, "hello sdk")
        self.assertEqual(c.choices[0].finish_reason, "stop")

    def test_stream_with_usage(self):
        stream = CLIENT.chat.completions.create(
            model=MODEL,
            stream=True,
            stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "count to 5"}],
        )
        text, chunks, usage = "", 0, None
        for chunk in stream:
            chunks += 1
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            if chunk.usage is not None:
                usage = chunk.usage
        self.assertGreaterEqual(chunks, 2)
        self.assertEqual(text, "1 2 3 4 5")
        self.assertIsNotNone(usage)
        self.assertGreater(usage.total_tokens, 0)

    def test_tools(self):
        c = CLIENT.chat.completions.create(
            model=MODEL,
            tools=[WEATHER],
            messages=[{"role": "user", "content": "get_weather for Paris"}],
        )
        choice = c.choices[0]
        self.assertEqual(choice.finish_reason, "tool_calls")
        call = choice.message.tool_calls[0]
        self.assertEqual(call.function.name, "get_weather")
        self.assertIsInstance(json.loads(call.function.arguments), dict)

    def test_tools_stream(self):
        stream = CLIENT.chat.completions.create(
            model=MODEL,
            stream=True,
            tools=[WEATHER],
            messages=[{"role": "user", "content": "get_weather for Paris"}],
        )
        name, arguments, finish = "", "", None
        for chunk in stream:
            for choice in chunk.choices:
                for call in choice.delta.tool_calls or []:
                    name += call.function.name or ""
                    arguments += call.function.arguments or ""
                finish = choice.finish_reason or finish
        self.assertEqual(name, "get_weather")
        self.assertIsInstance(json.loads(arguments), dict)
        self.assertEqual(finish, "tool_calls")

    def test_models(self):
        ids = [m.id for m in CLIENT.models.list()]
        self.assertIn(MODEL, ids)

    def test_images(self):
        r = CLIENT.images.generate(
            model="airforce/flux", prompt="a red fox", response_format="b64_json"
        )
        self.assertTrue(r.data[0].b64_json.startswith("iVBORw0KGgo"))

    def test_speech(self):
        r = CLIENT.audio.speech.create(model="airforce/tts-1", voice="nova", input="hello")
        audio = r.read()
        self.assertGreater(len(audio), 100)
        self.assertEqual(audio[0], 0xFF)

    def test_files(self):
        f = CLIENT.files.create(file=("a.txt", b"python sdk file"), purpose="assistants")
        self.assertTrue(f.id.startswith("file-"), f.id)
        self.assertIn(f.id, [x.id for x in CLIENT.files.list()])
        self.assertEqual(CLIENT.files.retrieve(f.id).id, f.id)
        self.assertEqual(CLIENT.files.content(f.id).read(), b"python sdk file")
        self.assertTrue(CLIENT.files.delete(f.id).deleted)

    def test_errors_are_typed(self):
        with self.assertRaises(openai.NotFoundError) as caught:
            CLIENT.chat.completions.create(
                model="nope/x", messages=[{"role": "user", "content": "hi"}]
            )
        self.assertEqual(caught.exception.code, "model_not_found")
        self.assertTrue(caught.exception.response.headers.get("x-request-id"))


if __name__ == "__main__":
    unittest.main()
