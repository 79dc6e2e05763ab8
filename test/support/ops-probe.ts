/**
 * A service process's ops endpoint from the outside: its URL (each process logs "ops endpoint listening" with it;
 * OPS_PORT=0 picks a free port), and `/healthz` watched on a timer, as an orchestrator's liveness probe would.
 */
import type { ServiceProcess } from './service-process.ts';

/** The ops endpoint's URL from the process's log (waits for the line). */
export async function opsUrlOf(service: ServiceProcess, timeoutMs = 30_000): Promise<string> {
  await service.waitForLog(/"msg":"ops endpoint listening"/, timeoutMs);
  for (const line of service.stdout().split('\n')) {
    if (!line.includes('"msg":"ops endpoint listening"')) continue;
    const { url } = JSON.parse(line) as { url?: unknown };
    if (typeof url === 'string') return url;
  }
  throw new Error(`${service.role}: the "ops endpoint listening" line names no url`);
}

export interface HealthWatch {
  /** Probes made so far. */
  probes(): number;
  /** The probes that did not get 200 (the status, or the error), with when. */
  failures(): Array<{ at: number; outcome: string }>;
  stop(): Promise<void>;
}

/** GETs `${url}/healthz` every `intervalMs` (each probe given up after 2 s, like a HEALTHCHECK's timeout). */
export function watchHealth(url: string, intervalMs = 500): HealthWatch {
  const failures: Array<{ at: number; outcome: string }> = [];
  let probes = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status !== 200) failures.push({ at, outcome: `HTTP ${response.status}` });
      } catch (error) {
        failures.push({ at, outcome: error instanceof Error ? error.message : String(error) });
      }
      probes++;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    probes: () => probes,
    failures: () => [...failures],
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
