/** `dog-breeds classify <files or folders…>`: one line per photo, human-readable or JSON. */
import { shownPercent } from '../../app/index.ts';
import { type Classification, type DogAnswer, summarizeDogs } from '../../vision/index.ts';
import { forEachConcurrently, photosInFlight } from '../concurrency.ts';
import type { CliContext, ModelFlags } from '../context.ts';
import { openClassifier } from '../context.ts';
import { readInputPhoto } from '../input-photo.ts';
import { expandImagePaths } from '../labelled-files.ts';

export interface ClassifyFlags extends ModelFlags {
  top: number;
  json?: boolean;
}

// As the bot shows a share (whole percents, never 100 %): the command line states no more than the answers do.
const percent = shownPercent;

const guessesText = (answer: Pick<DogAnswer, 'top'>): string =>
  answer.top.map((g) => `${g.name} ${percent(g.p)}`).join(', ');

function humanLine(file: string, result: Classification): string {
  if (result.dogs.length > 1) {
    const dogs = result.dogs.map((dog, i) => {
      const { left, top, width, height } = dog.box ?? { left: 0, top: 0, width: 0, height: 0 };
      return `  dog ${i + 1} at ${left},${top} ${width}×${height}: ${guessesText(dog)}`;
    });
    const more = result.moreDogs > 0 ? [`  and ${result.moreDogs} more not named`] : [];
    return [`${file}: ${result.dogs.length} dogs`, ...dogs, ...more].join('\n');
  }
  const verdict = result.isDog ? '' : ` — no dog here (dog score ${percent(result.dogScore ?? 0)}); best guesses:`;
  return `${file}:${verdict} ${guessesText(result)}`;
}

const guessesJson = (answer: Pick<DogAnswer, 'top'>) => answer.top.map(({ breed, name, p }) => ({ breed, name, p }));

function jsonLine(file: string, result: Classification): string {
  return JSON.stringify({
    file,
    // The main dog (the largest found, or the whole photo): the fields as they were before several dogs.
    isDog: result.isDog,
    dogScore: result.dogScore,
    top: guessesJson(result),
    group: result.group,
    dogs: summarizeDogs(result),
    mainDog: result.mainDog,
    moreDogs: result.moreDogs,
    photo: result.photo,
    model: result.model,
    detector: result.detector,
    ms: Math.round(result.ms.total * 10) / 10,
  });
}

/** Returns the process exit code: 0 when at least one photo was classified. */
export async function classifyCommand(inputs: string[], flags: ClassifyFlags, context: CliContext): Promise<number> {
  const files = await expandImagePaths(inputs);
  if (files.length === 0) {
    process.stderr.write('No image files found in the paths given.\n');
    return 1;
  }
  const classifier = await openClassifier(context, flags);
  let classified = 0;
  // Results are printed in input order, as soon as every earlier one is known.
  const lines: (string | undefined)[] = new Array(files.length);
  let printed = 0;
  try {
    await forEachConcurrently(files, photosInFlight(context.config), async (file, index) => {
      try {
        const result = await classifier.classify(await readInputPhoto(file), { top: flags.top });
        classified++;
        lines[index] = `${flags.json ? jsonLine(file, result) : humanLine(file, result)}\n`;
      } catch (error) {
        lines[index] = '';
        process.stderr.write(`${file}: ${(error as Error).message}\n`);
      }
      while (printed < lines.length && lines[printed] !== undefined) context.out.write(lines[printed++] as string);
    });
  } finally {
    await classifier.close();
  }
  return classified > 0 ? 0 : 1;
}
