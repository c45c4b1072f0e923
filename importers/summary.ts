// The import's account in words, for the command line and the logs (the dashboard words it in the
// viewer's language from the same figures): how many of the source's rows became how many plays,
// and why the two numbers differ.
import type { UnreadableReason } from './play.ts';
import type { ImportProgress } from './writer.ts';

const REASONS: Record<UnreadableReason, string> = {
  'no-times': 'no start or end time',
  'no-id': 'no id',
};

const n = (value: number) => value.toLocaleString('en-US');

export function describeImport(p: ImportProgress): string {
  const parts = [`${n(p.sourceRows)} source rows became ${n(p.read)} plays`];
  if (p.groupedRows > 0)
    parts.push(`${n(p.groupedRows)} resumed sessions joined the play they continue, as the source tool counts them`);
  const unreadable = Object.entries(p.unreadable).filter(([, count]) => count > 0);
  if (unreadable.length > 0)
    parts.push(
      `${n(unreadable.reduce((sum, [, count]) => sum + count, 0))} rows not imported (${unreadable
        .map(([reason, count]) => `${REASONS[reason as UnreadableReason] ?? reason}: ${n(count)}`)
        .join(', ')})`,
    );
  return `${parts.join('; ')}. ${n(p.added)} plays added, ${n(p.skipped)} already there.`;
}
