// docs/consumers.md says what is on the topics: it is written from the topic list and the schemas,
// and this fails when either changed without the guide (npm run docs:consumers).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConsumerGuide } from './consumer-guide.ts';
import { allTopics, loadSchemaVersions } from './topics.ts';

const guide = readFileSync(new URL('../docs/consumers.md', import.meta.url), 'utf8');

describe('the consumer guide', () => {
  it('is the one the topics and schemas write', () => {
    expect(guide).toBe(renderConsumerGuide());
  });

  it("names every topic with its key, and every schema's every top-level field with its meaning", () => {
    for (const topic of allTopics) expect(guide, topic.name).toContain(`| \`${topic.name}\` |`);
    for (const file of new Set(allTopics.map((t) => t.schemaFile))) {
      const { current } = loadSchemaVersions(file);
      for (const field of (current as { fields: Array<{ name: string }> }).fields)
        expect(guide, `${file}.${field.name}`).toContain(`| \`${field.name}\` |`);
    }
  });
});
