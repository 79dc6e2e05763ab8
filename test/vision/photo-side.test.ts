/**
 * How large a photo the models need, read from the project's manifests alone: the largest input side of the breed
 * model, its gate (the default gate for a model without ImageNet's dog classes) and the detector.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { photoSideNeeded } from '../../src/vision/index.ts';
import { MODELS_DIR as modelsDir } from '../support/paths.ts';

test('the defaults: the detector’s 416 px input is the largest', async () => {
  assert.equal(await photoSideNeeded({ modelsDir, model: 'mobilenetv2-imagenet', detector: 'yolox-nano-coco' }), 416);
});

test('without the detector: MobileNetV2 scales the shorter side to 256 before its 224 crop', async () => {
  assert.equal(await photoSideNeeded({ modelsDir, model: 'mobilenetv2-imagenet', detector: 'none' }), 256);
});

test('Xception (no dog classes of ImageNet): its 299 px input, over the default gate’s 256', async () => {
  assert.equal(await photoSideNeeded({ modelsDir, model: 'xception-dogs', detector: 'none' }), 299);
  assert.equal(await photoSideNeeded({ modelsDir, model: 'xception-dogs', detector: 'none', gateModel: 'none' }), 299);
});
