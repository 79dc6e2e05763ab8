export { LoadedModel, type LoadModelOptions, type RuntimeOptions } from './loaded-model.ts';
export { type Device, ModelRunner, type RunnerSpec, startRunner } from './model-runner.ts';
