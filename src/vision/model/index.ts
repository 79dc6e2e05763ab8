export { LoadedModel, type LoadModelOptions } from './loaded-model.ts';
export { type Device, ModelRunner } from './model-runner.ts';
