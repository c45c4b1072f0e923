"""Reads Streamwarden's topics as a team outside it would: confluent-kafka's DeserializingConsumer
with the schema registry's AvroDeserializer, no code of Streamwarden's. Prints every record as one
JSON line (topic, key, value) until it has read the number asked for, or a minute has passed.

usage: read_topics.py <brokers> <registry url> <group id> <records> <topic>...
"""
import json
import sys
import time

from confluent_kafka import DeserializingConsumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import StringDeserializer


def main() -> None:
    brokers, registry, group, wanted, topics = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
    consumer = DeserializingConsumer(
        {
            "bootstrap.servers": brokers,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "key.deserializer": StringDeserializer("utf_8"),
            "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": registry})),
        }
    )
    consumer.subscribe(topics)
    read = 0
    deadline = time.time() + 60
    try:
        while read < wanted and time.time() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                raise SystemExit(f"consumer error: {message.error()}")
            print(json.dumps({"topic": message.topic(), "key": message.key(), "value": message.value()}, default=str))
            read += 1
    finally:
        consumer.close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
