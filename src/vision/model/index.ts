export { LoadedModel, type LoadModelOptions, type RuntimeOptions } from './loaded-model.ts';
export { type Device, ModelRunner } from './model-runner.ts';
