import { KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { retryStaleMetadata } from './kafka-admin.ts';

// The errors as kafkajs makes them from a broker's answer: from an entry of its protocol/error.js
// table (its typings declare the argument an Error).
const answer = (entry: { type: string; code: number; retriable: boolean; message: string }) =>
  new KafkaJSProtocolError(entry as unknown as Error);
const notLeader = () =>
  answer({
    type: 'NOT_LEADER_FOR_PARTITION',
    code: 6,
    retriable: true,
    message: 'This server is not the leader for that topic-partition',
  });
const unauthorized = () =>
  answer({
    type: 'TOPIC_AUTHORIZATION_FAILED',
    code: 29,
    retriable: false,
    message: 'Not authorized to access topics: [Topic authorization failed]',
  });

describe('admin reads on stale metadata', () => {
  it('reads again on a new admin client when the broker says it is not the leader (a CI failure of person-stage.test.ts)', async () => {
    const calls: string[] = [];
    let failures = 2;
    const offsets = await retryStaleMetadata(
      async () => {
        calls.push('read');
        if (failures-- > 0) throw notLeader();
        return [{ partition: 0, low: '0', high: '7' }];
      },
      async () => void calls.push('renew'),
      { baseMs: 1 },
    );
    expect(offsets).toEqual([{ partition: 0, low: '0', high: '7' }]);
    expect(calls).toEqual(['read', 'renew', 'read', 'renew', 'read']);
  });

  it('passes any other failure on at once, and the last stale answer after its attempts', async () => {
    let renewed = 0;
    const renew = async () => void renewed++;
    await expect(retryStaleMetadata(() => Promise.reject(unauthorized()), renew, { baseMs: 1 })).rejects.toThrow(
      'Not authorized',
    );
    expect(renewed).toBe(0);
    await expect(
      retryStaleMetadata(() => Promise.reject(notLeader()), renew, { attempts: 3, baseMs: 1 }),
    ).rejects.toThrow('not the leader');
    expect(renewed).toBe(2);
  });
});
