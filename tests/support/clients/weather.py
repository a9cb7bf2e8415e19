"""What every third-party client app shares: the question, the tool's body and the brain rule
that makes the emulator call the tool and then answer with its output."""

QUESTION = "What is the weather in Paris?"
CALLED: list[str] = []
RULES = [
    {
        "match": {"message": "(?i)weather", "tools": ["get_weather"]},
        "actions": [
            {"call": {"name": "get_weather", "arguments": {"city": "Paris"}}},
            {"say": "The weather: {{outputs.get_weather}}"},
        ],
    }
]


def weather(city: str) -> str:
    CALLED.append(city)
    return f"sunny in {city}"
