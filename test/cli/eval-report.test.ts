/**
 * `dog-breeds eval` on the validation set as a person runs it (a real process, the real models, photos the model never
 * saw): the mean stated top-1 % against accuracy, the reliability table whose counts are the dog photos, the share of
 * confident answers that are right, confused pairs by breed names, and `--plot` writing a real PNG diagram.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { ROOT, VALIDATION_LABELS_CSV } from '../support/paths.ts';

const run = promisify(execFile);
const CLI = path.join(ROOT, 'src/cli/main.ts');

let dir: string;
let plot: string;
let lines: string[];
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dog-breeds-eval-'));
  plot = path.join(dir, 'reliability.png');
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', CLI, 'eval', VALIDATION_LABELS_CSV, '--plot', plot],
    { cwd: ROOT, env: { ...process.env, DEVICE: 'cpu', LOG_LEVEL: 'silent' }, maxBuffer: 16 * 1024 * 1024 },
  );
  lines = stdout.split('\n');
});
after(() => rm(dir, { recursive: true, force: true }));

/** The first line matching `pattern`, its groups as numbers. */
function numbers(pattern: RegExp): number[] {
  const match = lines.map((l) => pattern.exec(l)).find((m) => m !== null);
  assert.ok(match, `no line like ${pattern} in\n${lines.join('\n')}`);
  return match.slice(1).map(Number);
}

describe('dog-breeds eval on the validation set', () => {
  it('prints the reliability table: four bands whose answers add up to the dog photos, and each band right ≤ 100 %', () => {
    const [dogs] = numbers(/^images \d+: (\d+) dogs/);
    const start = lines.findIndex((l) => l.startsWith('reliability over'));
    assert.ok(start >= 0, lines.join('\n'));
    assert.equal(numbers(/^reliability over (\d+) dog photos/)[0], dogs);
    const bands = lines.slice(start + 1, start + 5);
    assert.deepEqual(
      bands.map((l) => l.trim().split(' ')[0]),
      ['0–50%', '50–70%', '70–90%', '90–100%'],
    );
    let total = 0;
    for (const band of bands) {
      const m = /(\d+) answers(?:, right ([\d.]+)% \(mean stated ([\d.]+)%\))?/.exec(band);
      assert.ok(m, band);
      total += Number(m[1]);
      if (m[2] !== undefined) assert.ok(Number(m[2]) <= 100 && Number(m[3]) <= 100, band);
    }
    assert.equal(total, dogs);
    const [share, confident] = numbers(/^stated ≥ 70%: ([\d.]+)% right \(of (\d+)\)$/);
    assert.ok((share as number) <= 100 && (confident as number) <= (dogs as number));
  });

  it('prints the mean stated top-1 % against the same accuracy as top-1, and the difference in points', () => {
    const [top1] = numbers(/^top-1 ([\d.]+)%/);
    const [stated, right, diff] = numbers(
      /^stated top-1 \(T=[\d.]+\): mean ([\d.]+)% against ([\d.]+)% right \(([+-][\d.]+) points/,
    );
    assert.equal(right, top1);
    assert.ok(Math.abs((stated as number) - (right as number) - (diff as number)) < 0.11, `${stated} ${right} ${diff}`);
    assert.ok(lines.some((l) => /^ECE \(15 bins, noisy at this size\)/.test(l)));
  });

  it('names the confused pairs by breed names, not ids', () => {
    const start = lines.indexOf('most confused (true → predicted):');
    assert.ok(start >= 0, lines.join('\n'));
    const pairs = lines.slice(start + 1).filter((l) => l.startsWith('  '));
    assert.ok(pairs.length > 0);
    for (const pair of pairs) {
      // A name reads "Rough Collie", an id "collie" or "wire-haired_fox_terrier".
      assert.match(pair, /^ {2}[A-Z][^_→]* → [A-Z][^_→]*: \d+$/);
    }
  });

  it("the default pipeline keeps issue 23's figures on unseen photos, within a photo or two (README, Measurements)", () => {
    // Published: top-1 59 and top-3 72 of 75, all 75 dogs and 2 of 299 non-dogs passing, mean stated 0.6 points under
    // accuracy, 46 of 51 answers stated >= 70 % right. The floors leave a photo or two for float differences between
    // CPUs and batch sizes; a change that costs more is a regression to look at, not noise.
    const [dogs, notDogs] = numbers(/^images \d+: (\d+) dogs, (\d+) not dogs/);
    const [top1, top3] = numbers(/^top-1 ([\d.]+)% {3}top-3 ([\d.]+)%/);
    const [dogsPassing, notDogsPassing] = numbers(/^gate: dogs passing ([\d.]+)% {3}non-dogs passing ([\d.]+)%/);
    const [, , points] = numbers(
      /^stated top-1 \(T=[\d.]+\): mean ([\d.]+)% against ([\d.]+)% right \(([+-][\d.]+) points/,
    );
    const [confidentRight] = numbers(/^stated ≥ 70%: ([\d.]+)% right/);
    const photos = (share: number | undefined, of: number | undefined) => Math.round(((share ?? 0) / 100) * (of ?? 0));
    assert.equal(dogs, 75);
    assert.equal(notDogs, 299);
    assert.ok(photos(top1, dogs) >= 58, `top-1 ${top1}%`);
    assert.ok(photos(top3, dogs) >= 71, `top-3 ${top3}%`);
    assert.ok(photos(dogsPassing, dogs) >= 74, `dogs passing ${dogsPassing}%`);
    assert.ok(photos(notDogsPassing, notDogs) <= 3, `non-dogs passing ${notDogsPassing}% (at most 1 %: 3 of 299)`);
    assert.ok(Math.abs(points ?? 99) <= 3, `mean stated ${points} points from accuracy`);
    assert.ok((confidentRight ?? 0) >= 86, `stated >= 70 %: ${confidentRight}% right`);
  });

  it('--plot writes the reliability diagram as a PNG: a real image of the drawn size, not blank', async () => {
    const meta = await sharp(plot).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 640);
    assert.equal(meta.height, 500);
    const stats = await sharp(plot).stats();
    // Bars, text and a white ground: every channel varies.
    assert.ok(
      stats.channels.slice(0, 3).every((c) => c.stdev > 10),
      JSON.stringify(stats.channels),
    );
    const { size } = await stat(plot);
    assert.ok(size > 5_000 && size < 1_000_000, `${size} bytes`);
  });
});
