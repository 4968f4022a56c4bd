// How values are shown: dates in the browser's locale, secrets as a dotted mask and last four.
export function formatDate(iso: string | null, empty = 'Never'): string {
  if (!iso) return empty;
  const date = new Date(iso);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export const masked = (last4: string) => `••••${last4}`;

/** A Date as the value of an <input type="datetime-local"> in local time. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** To the second, for log entries: "14 Nov 2026, 14:03:27". */
export function formatInstant(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
