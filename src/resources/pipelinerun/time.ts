// Timestamps in status are RFC 3339 with whole seconds, as metav1.Time serialises, so a value
// written twice is written identically (a re-listed cache must not look like a change).

export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
