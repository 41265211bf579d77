import pytest
from livekit.agents import Agent, AgentSession

from agent_worker.kb_answerer import (
    GREETING_REPLY,
    NO_ANSWER,
    KbAnswerer,
    best_passage,
    split_passages,
)

pytestmark = pytest.mark.unit

BAKERY = """You are the voice assistant of Bluebird Bakery. Keep answers short.
Our opening hours are 7 am to 6 pm, Monday to Saturday. We are closed on Sundays.
We are located at 12 Harbour Street, next to the library.

Q: Do you sell gluten free bread?
A: Yes, we bake gluten free loaves every Tuesday and Friday.

Delivery is free for orders above 30 dollars."""


def test_instructions_addressed_to_the_assistant_are_never_answers() -> None:
    answers = [p.answer for p in split_passages(BAKERY)]
    assert not any(a.startswith(("You are", "Keep answers")) for a in answers)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What are your opening hours?", "Our opening hours are 7 am to 6 pm"),
        ("Where are you located?", "12 Harbour Street"),
        ("Do you have gluten free bread", "gluten free loaves every Tuesday"),
        ("Is delivery free?", "Delivery is free for orders above 30 dollars."),
        ("are you open on sunday", "We are closed on Sundays."),
    ],
)
def test_best_passage_answers_faq_questions(question: str, expected: str) -> None:
    match = best_passage(question, split_passages(BAKERY))
    assert match is not None
    assert expected in match.answer


def test_question_without_overlap_has_no_passage() -> None:
    assert best_passage("What is the capital of France?", split_passages(BAKERY)) is None


class _StaticKnowledge:
    def __init__(self, passages: list[str]) -> None:
        self.passages = passages
        self.queries: list[str] = []

    async def search(self, query: str, *, top_k: int) -> list[str]:
        self.queries.append(query)
        return self.passages[:top_k]


async def test_knowledge_source_passages_can_answer() -> None:
    knowledge = _StaticKnowledge(["Parking is available behind the shop on Mill Lane."])
    answerer = KbAnswerer(instructions=BAKERY, knowledge=knowledge)
    assert "Mill Lane" in await answerer.answer("Where can I park?")
    assert knowledge.queries == ["Where can I park?"]


async def test_greeting_and_unknown_questions_get_fixed_replies() -> None:
    answerer = KbAnswerer(instructions=BAKERY)
    assert await answerer.answer("Hello!") == GREETING_REPLY
    assert await answerer.answer("What is the capital of France?") == NO_ANSWER


async def test_agent_session_speaks_the_matching_passage() -> None:
    async with AgentSession(llm=KbAnswerer(instructions=BAKERY)) as session:
        await session.start(Agent(instructions=BAKERY))
        result = await session.run(user_input="When are you open?")
        result.expect.next_event().is_message(role="assistant")
        message = result.expect[-1].event().item
        assert "7 am to 6 pm" in (message.text_content or "")
