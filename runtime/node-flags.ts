// V8 flags every Streamwarden process starts with. V8 sizes its heap when a process starts and
// ignores these flags later (v8.setFlagsFromString has no effect on them), so each way of starting
// the product passes them on its command line: `npm start` (package.json), the Dockerfile, the
// demo, and the benches and tests that start roles. node-flags.test.ts keeps those in step.
//
// --max-semi-space-size: V8 sizes the young generation from the machine's memory, up to 64 MiB a
// semi-space; under a steady load (the 300-viewer demo, the sink) it grew to 128 MiB of new space
// holding under 10 MiB of live objects, all of it resident. 16 MiB caps it at 32 MiB
// (bench/README.md, "Memory").
export const NODE_FLAGS = ['--max-semi-space-size=16'] as const;

/** node's arguments for `npm start [role]`, for code that starts the product as a process. */
export function productArgs(...args: string[]): string[] {
  return [...NODE_FLAGS, '--import', 'tsx', 'runtime/main.ts', ...args];
}

/** The flags this process lacks, from its command line and NODE_OPTIONS (which node also reads). */
export function missingNodeFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map((flag) => flag.split('=')[0]));
  return NODE_FLAGS.filter((flag) => !given.has(flag.split('=')[0]));
}
