import { topics } from '../schemas/topics.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { rate, type Figure } from './report.ts';

export async function codecBench(count = 200_000): Promise<Figure[]> {
  const codec = topics.playbackEvents.codec;
  const events = Array.from({ length: 1000 }, (_, i) =>
    samplePlaybackEvent({ sessionKey: `s${i}`, positionMs: i * 1000 }),
  );
  let start = performance.now();
  let bytes = 0;
  const encoded: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const buf = codec.encode(events[i % events.length]!);
    bytes += buf.length;
    if (i < events.length) encoded.push(buf);
  }
  const encodeMs = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < count; i++) codec.decode(encoded[i % encoded.length]!);
  const decodeMs = performance.now() - start;
  return [
    { suite: 'avro', name: 'encode PlaybackEvent (validated)', value: rate(count, encodeMs), unit: 'records/s' },
    { suite: 'avro', name: 'decode PlaybackEvent', value: rate(count, decodeMs), unit: 'records/s' },
    { suite: 'avro', name: 'PlaybackEvent size', value: Math.round(bytes / count), unit: 'bytes/record' },
  ];
}
