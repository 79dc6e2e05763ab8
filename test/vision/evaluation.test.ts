/**
 * Whether stated percentages mean what they say: the reliability bands (stated 0–50, 50–70, 70–90, 90–100 % → how
 * many, how often right), the mean stated against accuracy, the share of confident answers that are right, and the
 * likelihood the temperature fit minimises, over hand-made samples whose answers are worked out here; the confused
 * pairs' order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CalibrationSample,
  EvaluationTally,
  fitTemperature,
  meanNegativeLogLikelihood,
  RELIABILITY_EDGES,
  reliability,
} from '../../src/vision/evaluation.ts';

const EXACT = 1e-12;
const sample = (probs: number[], label: number): CalibrationSample => ({ probs: Float64Array.from(probs), label });

/** Stated top-1 and right or wrong, written beside each: the figures below follow from these. */
const SAMPLES = [
  sample([0.95, 0.03, 0.02], 0), // 95 % right
  sample([0.95, 0.03, 0.02], 1), // 95 % wrong
  sample([0.8, 0.1, 0.1], 0), // 80 % right
  sample([0.6, 0.3, 0.1], 1), // 60 % wrong
  sample([0.4, 0.35, 0.25], 0), // 40 % right
  sample([0.5, 0.3, 0.2], 0), // 50 % right: a band holds its lower edge
  sample([1, 0, 0], 0), // 100 % right: the last band holds 1
];

describe('reliability', () => {
  it('counts each answer in its band, with how often it was right and the mean stated there', () => {
    const r = reliability(SAMPLES, 1);
    assert.deepEqual(RELIABILITY_EDGES, [0, 0.5, 0.7, 0.9, 1]);
    assert.deepEqual(
      r.bins.map((b) => [b.from, b.to, b.count, b.right]),
      [
        [0, 0.5, 1, 1],
        [0.5, 0.7, 2, 1],
        [0.7, 0.9, 1, 1],
        [0.9, 1, 3, 2],
      ],
    );
    const expectedMeans = [0.4, 0.55, 0.8, 2.9 / 3];
    const expectedAccuracy = [1, 0.5, 1, 2 / 3];
    r.bins.forEach((b, i) => {
      assert.ok(Math.abs(b.meanStated - (expectedMeans[i] as number)) < EXACT, `band ${i} mean ${b.meanStated}`);
      assert.ok(Math.abs(b.accuracy - (expectedAccuracy[i] as number)) < EXACT, `band ${i} accuracy ${b.accuracy}`);
    });
    assert.equal(
      r.bins.reduce((n, b) => n + b.count, 0),
      SAMPLES.length,
    );
    assert.equal(r.samples, 7);
    assert.ok(Math.abs(r.meanStated - 5.2 / 7) < EXACT, `mean stated ${r.meanStated}`);
    assert.ok(Math.abs(r.accuracy - 5 / 7) < EXACT, `accuracy ${r.accuracy}`);
    // Stated ≥ 70 %: the two 95s, the 80 and the 100; one of the 95s is wrong.
    assert.deepEqual(r.confident, { from: 0.7, count: 4, accuracy: 0.75 });
  });

  it('states the probability after the temperature: T=0.5 squares and renormalises', () => {
    const r = reliability([sample([0.6, 0.3, 0.1], 1)], 0.5);
    const stated = 0.36 / (0.36 + 0.09 + 0.01);
    assert.deepEqual(
      r.bins.map((b) => b.count),
      [0, 0, 1, 0],
    );
    assert.ok(Math.abs(r.meanStated - stated) < EXACT, `${r.meanStated}`);
    assert.equal(r.accuracy, 0);
    assert.deepEqual(r.confident, { from: 0.7, count: 1, accuracy: 0 });
  });

  it('reads nothing as zeros, not as NaN', () => {
    const r = reliability([], 1);
    assert.equal(r.meanStated, 0);
    assert.equal(r.accuracy, 0);
    assert.ok(r.bins.every((b) => b.count === 0 && b.accuracy === 0 && b.meanStated === 0));
    assert.deepEqual(r.confident, { from: 0.7, count: 0, accuracy: 0 });
  });
});

describe('meanNegativeLogLikelihood and fitTemperature', () => {
  it('is the mean -log of the true breed at T=1', () => {
    const nll = meanNegativeLogLikelihood([sample([0.5, 0.25, 0.25], 0), sample([0.5, 0.25, 0.25], 1)], 1);
    assert.ok(Math.abs(nll - (Math.log(2) + Math.log(4)) / 2) < EXACT, `${nll}`);
  });

  it('fits the temperature with the least NLL: over-sure samples are softened (T > 1)', () => {
    const t = fitTemperature(SAMPLES);
    const at = (x: number) => meanNegativeLogLikelihood(SAMPLES, x);
    assert.ok(t > 1, `T ${t}`);
    for (const other of [1, t * 0.9, t * 1.1]) assert.ok(at(t) <= at(other), `NLL at ${t} vs ${other}`);
  });
});

describe('EvaluationTally confused pairs', () => {
  it('orders mistakes by count, then true and predicted breed, whatever order the photos finished in', () => {
    const guess = (breed: string) => ({ isDog: true, top: [{ breed }] });
    const orders = [
      [
        ['briard', 'irish_terrier'],
        ['briard', 'collie'],
        ['akita', 'beagle'],
        ['akita', 'beagle'],
        ['akita', 'akita'],
      ],
      [
        ['briard', 'collie'],
        ['akita', 'beagle'],
        ['briard', 'irish_terrier'],
        ['akita', 'beagle'],
      ],
    ];
    for (const order of orders) {
      const tally = new EvaluationTally();
      for (const [label, predicted] of order) tally.add(label as string, guess(predicted as string));
      assert.deepEqual(tally.summary().confusedPairs, [
        { label: 'akita', predicted: 'beagle', count: 2 },
        { label: 'briard', predicted: 'collie', count: 1 },
        { label: 'briard', predicted: 'irish_terrier', count: 1 },
      ]);
    }
  });
});
