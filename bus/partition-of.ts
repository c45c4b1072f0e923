// Which partition of a topic a key lands on: the default (murmur2) partitioner both buses use, so
// a consumer can tell which keys of another topic belong to the partitions it was given.
import { Partitioners } from 'kafkajs';
import type { Bus } from './types.ts';

export async function partitionOfKey(bus: Bus, topic: string): Promise<(key: string) => number> {
  const count = (await bus.endOffsets(topic)).size;
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return (key) => partitioner({ topic, partitionMetadata, message: { key: Buffer.from(key), value: null } });
}
