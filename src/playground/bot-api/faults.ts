/**
 * Fault injection: rules that make the next requests to a method (or file downloads) fail
 * with a status, drop the connection, or answer late; and the delays' timers, which close()
 * cuts short so a delayed answer never outlives the server.
 */
import type { Fault, FaultRule } from './types.ts';

export class Faults {
  private readonly rules: Array<{ method: string; remaining: number; fault: Fault }> = [];
  private readonly sleepers = new Set<() => void>();

  /** Queue a fault for the next `times` requests to `method` (`'*'` = any method, `'file'` = downloads). */
  inject({ method, times = 1, fault }: FaultRule): void {
    this.rules.push({ method: method.toLowerCase(), remaining: times, fault });
  }

  /** Forgets every queued fault (delays already under way still run their course). */
  clear(): void {
    this.rules.length = 0;
  }

  /** The fault for this request, if one is queued (`method` in lower case, or `'file'`); uses it up. */
  take(method: string): Fault | undefined {
    const index = this.rules.findIndex((f) => f.method === method || (f.method === '*' && method !== 'file'));
    const rule = this.rules[index];
    if (!rule) return undefined;
    if (--rule.remaining <= 0) this.rules.splice(index, 1);
    return rule.fault;
  }

  /** A delay fault's wait; `wakeAll` ends it early. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
