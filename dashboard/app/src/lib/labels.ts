// Words for the enums the API sends, shared by the pages that show them.
import type { MessageKey } from './i18n/index.svelte.ts';

/** Why a trust score changed (trust history rows). */
export const TRUST_REASONS: Record<string, MessageKey> = {
  VIOLATION: 'users.trustViolation',
  FALSE_ALARM: 'users.trustFalseAlarm',
  FALSE_ALARM_WITHDRAWN: 'users.trustFalseAlarmWithdrawn',
  MANUAL: 'users.trustManual',
  RESET: 'users.trustReset',
};

/** A violation's review status. */
export const VIOLATION_STATUS: Record<string, MessageKey> = {
  OPEN: 'violations.open',
  ACKNOWLEDGED: 'violations.acknowledged',
  DISMISSED: 'violations.dismissed',
  FALSE_ALARM: 'violations.falseAlarms',
};
