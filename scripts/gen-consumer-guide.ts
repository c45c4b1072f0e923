import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConsumerGuide } from '../schemas/consumer-guide.ts';

const target = fileURLToPath(new URL('../docs/consumers.md', import.meta.url));
writeFileSync(target, renderConsumerGuide());
console.log(`wrote ${target}`);
