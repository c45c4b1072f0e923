export interface Figure {
  suite: string;
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export function rate(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

export function printFigures(figures: Figure[]): void {
  const width = Math.max(...figures.map((f) => `${f.suite}: ${f.name}`.length));
  for (const f of figures) {
    const label = `${f.suite}: ${f.name}`.padEnd(width);
    console.log(`${label}  ${f.value.toLocaleString('en-US').padStart(12)} ${f.unit}${f.note ? `  (${f.note})` : ''}`);
  }
}

/** The value at percentile `p` (0-100) of numbers sorted ascending. */
export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}
