"""A scripted LLM for orchestration tests: the pipeline around the model is real, the model is not."""

from __future__ import annotations

from typing import Any

from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata

from qa.llm import messages_to_chatml


class ScriptedLLM(CustomLLM):
    """Answers each call with the next scripted reply, streaming it word by word; records the prompts."""

    replies: list[str] = []
    prompts: list[str] = []

    def __init__(self, **kwargs: Any):
        super().__init__(messages_to_prompt=messages_to_chatml, **kwargs)  # the prompt the real model sees

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        # A question for JSON (the planning step's) that no test scripted gets no opinion: an unusable reply, which
        # the pipeline reads as "the model did not say" (the probe's kind, the question's own words).
        if "Reply in JSON" in prompt and not (self.replies and self.replies[0].lstrip().startswith("{")):
            return CompletionResponse(text="")
        self.prompts.append(prompt)
        return CompletionResponse(text=self.replies.pop(0))

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        self.prompts.append(prompt)
        reply = self.replies.pop(0)

        def gen() -> CompletionResponseGen:
            text = ""
            for word in reply.split(" "):
                delta = word if not text else f" {word}"
                text += delta
                yield CompletionResponse(text=text, delta=delta)

        return gen()
