/** The builds-per-hour limit counts builds per account and clock hour. */
const HOUR_MS = 3_600_000;

/** The clock hour a build is counted in, for the builds-per-hour limit. */
export const hourOf = (now: Date): number => Math.floor(now.getTime() / HOUR_MS);

/** When an hour's build counter may go (epoch seconds): an hour after the hour ends. */
export const rateWindowExpiry = (hour: number): number => ((hour + 2) * HOUR_MS) / 1000;

/** Seconds until the next clock hour: the Retry-After of a 429. */
export const secondsUntilNextHour = (now: Date): number => Math.ceil(((hourOf(now) + 1) * HOUR_MS - now.getTime()) / 1000);

/** The hour a build created at `date` counts in, and when that hour's counter may expire: stored on the build item. */
export function buildCount(date: Date): { count_hour: number; count_expires_at: number } {
  const hour = hourOf(date);
  return { count_hour: hour, count_expires_at: rateWindowExpiry(hour) };
}
