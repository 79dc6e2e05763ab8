/** Assembly: a process's roles over the services they share, and the vision core as the configuration sets it up. */
export { classifierOptions, decodeLimitsOf, openClassifier } from './classifier-options.ts';
export { MissingTokenError, openSharedServices, type SharedServices } from './services.ts';
export { type Role, type RunningApp, startApp } from './start-app.ts';
export { startBatchRole, startWorkerRole, type WorkerRole } from './worker-role.ts';
