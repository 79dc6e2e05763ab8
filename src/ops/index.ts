/** Operations: structured logs that scrub secrets, Prometheus metrics, the health/readiness/metrics endpoint. */
export * from './liveness.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './ops-server.ts';
