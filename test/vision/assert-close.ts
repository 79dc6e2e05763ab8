/** Element-wise comparison of number arrays, shared by the vision tests. */
import assert from 'node:assert/strict';

/** `actual` has the length of `expected` and every element within `tolerance` of it. */
export function assertAllClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] ?? Number.NaN;
    const e = expected[i] ?? Number.NaN;
    assert.ok(Math.abs(a - e) <= tolerance, `[${i}]: ${a} is not ${e} ±${tolerance}`);
  }
}
