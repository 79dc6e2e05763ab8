/** Assembly: a process's roles over the services they share, and the vision core as the configuration sets it up. */

// How a share is shown to people (never 100 %), for the command line and the playground's console, which reach i18n
// only through here.
export { shownPercent } from '../i18n/index.ts';
export { classifierOptions, decodeLimitsOf, openClassifier } from './classifier-options.ts';
export {
  MissingTokenError,
  openSharedServices,
  type ProcessServices,
  type SharedServices,
  type TelegramAccess,
} from './services.ts';
export { ShutdownSteps } from './shutdown-steps.ts';
export { type Role, type RunningApp, type StartOptions, startApp } from './start-app.ts';
export { StartUpAborted } from './start-up.ts';
export { NO_VIDEO_DECODER_NOTE, openVideoReader, videoReaderOptions } from './video-reader.ts';
export { NothingToServeError, startBatchRole, startWorkerRole, type WorkerRole } from './worker-role.ts';
