"""Follow LiftOS channel effects: ``python consume_effects.py --bootstrap HOST:PORT [--max-messages N]``.

Needs only aiokafka. Values are JSON (schema: ``docs/schemas/liftos.effects.v1.schema.json``); the key is
``<channel>|<model_version>``. Delivery is at-least-once, so keep the latest value per key.
"""

import argparse
import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer


def describe(effect: dict[str, Any]) -> str:
    """One line per update: channel, model version, incremental ROAS and revenue lift with its interval,
    and the verdict when the producer sends one (payload revision 2; absent from revision 1)."""
    return (
        f"{effect['channel']} v{effect['model_version']} iroas={effect['incremental_roas']} "
        f"lift={effect['revenue_lift']} ci=[{effect['ci_lower']}, {effect['ci_upper']}] "
        f"verdict={effect.get('verdict') or 'not judged'}"
    )


async def follow(bootstrap: str, topic: str, group: str, max_messages: int) -> dict[bytes, Any]:
    """Print each effect update; stop after ``max_messages`` (0 = never). Returns the latest per key."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest"
    )
    await consumer.start()
    latest: dict[bytes, Any] = {}  # idempotent: a redelivered (channel, model_version) overwrites, never adds
    try:
        async for message in consumer:
            effect = latest[message.key or b""] = json.loads(message.value or b"{}")
            print(describe(effect), flush=True)  # noqa: T201
            await consumer.commit()
            max_messages -= 1
            if max_messages == 0:
                return latest
    finally:
        await consumer.stop()
    return latest


def main() -> None:
    """Parse the command line and follow the effects topic."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    parser.add_argument("--topic", default="liftos.effects.v1")
    parser.add_argument("--group", default="effects-example", help="consumer group (offsets are committed)")
    parser.add_argument("--max-messages", type=int, default=0, help="stop after N messages (0 = run forever)")
    args = parser.parse_args()
    asyncio.run(follow(args.bootstrap, args.topic, args.group, args.max_messages))


if __name__ == "__main__":
    main()
