// `npm run bench`: prints throughput figures and writes them to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { busBench } from './bus.bench.ts';
import { codecBench } from './codec.bench.ts';
import { warehouseBench } from './warehouse.bench.ts';
import { pipelineBench } from './pipeline.bench.ts';
import { endToEndBench } from './end-to-end.bench.ts';
import { importBench } from './import.bench.ts';
import { apiBench } from './api.bench.ts';
import { detectionBench } from './detection.bench.ts';
import { operatorsBench } from './operators.bench.ts';
import { recoveryBench } from './recovery.bench.ts';
import { printFigures, type Figure } from './report.ts';

const figures: Figure[] = [];
console.log(
  `Streamwarden benchmarks on node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB\n`,
);
const only = process.env.BENCH_ONLY?.split(',');
const suites = {
  codec: codecBench,
  bus: busBench,
  pipeline: pipelineBench,
  e2e: endToEndBench,
  import: importBench,
  api: apiBench,
  warehouse: warehouseBench,
  detection: detectionBench,
  operators: operatorsBench,
  recovery: recoveryBench,
};
for (const [name, suite] of Object.entries(suites)) {
  if (only && !only.includes(name)) continue;
  const result = await suite();
  printFigures(result);
  figures.push(...result);
}
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify({ at: new Date().toISOString(), node: process.version, cores: cpus().length, figures }, null, 2),
);
console.log(`\nwritten to ${file}`);
