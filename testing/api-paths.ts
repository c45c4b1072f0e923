// Every GET path of the API from its OpenAPI document, with path parameters filled from examples
// (enum parameters expanded to each value), whether it takes a time range and whether it documents
// a limit: for tests that sweep every read (response shapes, limits, backup round trips).
import type { FastifyInstance } from 'fastify';

interface OpenApiParameter {
  in: string;
  name: string;
  schema?: { enum?: string[] };
}

export function apiGetPaths(
  app: FastifyInstance,
  examples: Record<string, string>,
): Array<{ path: string; ranged: boolean; limited: boolean }> {
  const document = app.swagger() as { paths: Record<string, { get?: { parameters?: OpenApiParameter[] } }> };
  return Object.entries(document.paths).flatMap(([path, item]) => {
    if (!item.get || path === '/api/v1/live') return [];
    let filled = [path];
    const parameters = item.get.parameters ?? [];
    for (const p of parameters.filter((p) => p.in === 'path')) {
      const values = p.schema?.enum ?? [examples[p.name] ?? `unknown-${p.name}`];
      filled = filled.flatMap((f) => values.map((v) => f.replace(`{${p.name}}`, v)));
    }
    const ranged = parameters.some((p) => p.in === 'query' && p.name === 'from');
    const limited = parameters.some((p) => p.in === 'query' && p.name === 'limit');
    return filled.map((f) => ({ path: f, ranged, limited }));
  });
}
