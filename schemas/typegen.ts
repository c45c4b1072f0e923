// Renders TypeScript declarations from the Avro schemas, so the types used in code are derived
// from the wire contract instead of kept in step by hand. `npm run schemas:types` writes them to
// types.generated.ts; a test fails when that file is stale.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

class Renderer {
  private readonly blocks: string[] = [];
  private readonly seen = new Set<string>();

  render(schema: Json): string {
    if (typeof schema === 'string') return PRIMITIVES[schema] ?? shortName(schema);
    if (Array.isArray(schema)) return schema.map((s) => this.render(s)).join(' | ');
    if (schema === null || typeof schema !== 'object') throw new Error(`unsupported schema ${JSON.stringify(schema)}`);
    const kind = schema.type;
    switch (kind) {
      case 'record':
        return this.record(schema);
      case 'enum':
        return this.enumeration(schema);
      case 'array':
        return `${wrap(this.render(schema.items!))}[]`;
      case 'map':
        return `Record<string, ${this.render(schema.values!)}>`;
      case 'fixed':
        return 'Buffer';
      default:
        if (typeof kind === 'string') return this.render(kind);
        return this.render(kind as Json);
    }
  }

  private record(schema: JsonObject): string {
    const name = shortName(String(schema.name));
    if (this.seen.has(name)) return name;
    this.seen.add(name);
    const lines = [docComment(schema.doc, ''), `export interface ${name} {`];
    for (const field of schema.fields as JsonObject[]) {
      const doc = docComment(field.doc, '  ');
      if (doc) lines.push(doc);
      lines.push(`  ${String(field.name)}: ${this.render(field.type!)};`);
    }
    lines.push('}');
    this.blocks.push(lines.filter((l) => l !== '').join('\n'));
    return name;
  }

  private enumeration(schema: JsonObject): string {
    const name = shortName(String(schema.name));
    if (this.seen.has(name)) return name;
    this.seen.add(name);
    const symbols = (schema.symbols as string[]).map((s) => `'${s}'`);
    this.blocks.push(
      [
        `export const ${name}Values = [${symbols.join(', ')}] as const;`,
        `export type ${name} = (typeof ${name}Values)[number];`,
      ].join('\n'),
    );
    return name;
  }

  output(): string[] {
    return this.blocks;
  }
}

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

function wrap(type: string): string {
  return type.includes('|') ? `(${type})` : type;
}

function docComment(doc: Json | undefined, indent: string): string {
  if (typeof doc !== 'string') return '';
  return `${indent}/** ${doc.replace(/\*\//g, '* /')} */`;
}

/** Source of types.generated.ts for every .avsc file in the folder (sorted, so output is stable). */
export function renderSchemaTypes(schemaDir: string): string {
  const renderer = new Renderer();
  const files = readdirSync(schemaDir)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
  for (const file of files) renderer.render(JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as Json);
  return [
    '// Generated from schemas/*.avsc by `npm run schemas:types`. Do not edit by hand.',
    '',
    renderer.output().join('\n\n'),
    '',
  ].join('\n');
}
