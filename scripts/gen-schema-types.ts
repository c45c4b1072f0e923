import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemaTypes } from '../schemas/typegen.ts';

const schemaDir = fileURLToPath(new URL('../schemas/', import.meta.url));
const target = `${schemaDir}types.generated.ts`;
writeFileSync(target, renderSchemaTypes(schemaDir));
console.log(`wrote ${target}`);
