/**
 * `dog-breeds classify <files or folders…>`: one line per photo or video, human-readable or JSON. A video (a clip, an
 * animated GIF; see media-kind.ts) is answered as the bot answers it: frames sampled and read together, with what the
 * answer was read from.
 */
import { shownPercent, videoReaderOptions } from '../../app/index.ts';
import {
  type Classification,
  type Classifier,
  type DogAnswer,
  summarizeDogs,
  summarizeVideo,
  type VideoClassification,
  VideoReader,
} from '../../vision/index.ts';
import { forEachConcurrently, photosInFlight } from '../concurrency.ts';
import type { CliContext, ModelFlags } from '../context.ts';
import { openClassifier } from '../context.ts';
import { readInputPhoto } from '../input-photo.ts';
import { expandImagePaths } from '../labelled-files.ts';
import { mediaKindOf } from '../media-kind.ts';

export interface ClassifyFlags extends ModelFlags {
  top: number;
  json?: boolean;
}

// As the bot shows a share (whole percents, never 100 %): the command line states no more than the answers do.
const percent = shownPercent;

const guessesText = (answer: Pick<DogAnswer, 'top'>): string =>
  answer.top.map((g) => `${g.name} ${percent(g.p)}`).join(', ');

type Answer = Classification | VideoClassification;

const isVideo = (result: Answer): result is VideoClassification => 'video' in result;

const seconds = (s: number) => `${s.toFixed(1)} s`;

/** What a video's answer was read from, after its first line; nothing for a photo. */
function videoNote(result: Answer): string {
  if (!isVideo(result)) return '';
  const { framesRead, framesSampled, durationS, shownFrame } = result.video;
  return (
    ` [video ${seconds(durationS)}: ${framesRead} of ${framesSampled} frames read, ` +
    `surest at ${seconds(shownFrame.atS)}]`
  );
}

function humanLine(file: string, result: Answer): string {
  if (result.dogs.length > 1) {
    const dogs = result.dogs.map((dog, i) => {
      const { left, top, width, height } = dog.box ?? { left: 0, top: 0, width: 0, height: 0 };
      return `  dog ${i + 1} at ${left},${top} ${width}×${height}: ${guessesText(dog)}`;
    });
    const more = result.moreDogs > 0 ? [`  and ${result.moreDogs} more not named`] : [];
    return [`${file}: ${result.dogs.length} dogs${videoNote(result)}`, ...dogs, ...more].join('\n');
  }
  const verdict = result.isDog ? '' : ` — no dog here (dog score ${percent(result.dogScore ?? 0)}); best guesses:`;
  return `${file}:${verdict} ${guessesText(result)}${videoNote(result)}`;
}

const guessesJson = (answer: Pick<DogAnswer, 'top'>) => answer.top.map(({ breed, name, p }) => ({ breed, name, p }));

/** A video's facts in JSON: the shown frame's time, not its pixels. */
function videoJson(result: Answer) {
  return isVideo(result) ? { video: summarizeVideo(result.video) } : {};
}

function jsonLine(file: string, result: Answer): string {
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
    ...videoJson(result),
    ms: Math.round(result.ms.total * 10) / 10,
  });
}

/**
 * Reads a file as what it holds: a photo, or a video through the reader (opened at the first video, once; where
 * ffmpeg is missing each video's line says so and how to install it, and photos are answered as usual).
 */
function fileReader(classifier: Classifier, context: CliContext, top: number) {
  let videoReader: Promise<VideoReader> | undefined;
  // Every frame gets at least as many guesses as the person asked to see.
  const frames = {
    breeds: classifier.breeds,
    classify: (...[image, options]: Parameters<Classifier['classify']>) =>
      classifier.classify(image, { ...options, top: Math.max(options?.top ?? top, top) }),
  };
  return async (file: string): Promise<Answer> => {
    const bytes = await readInputPhoto(file);
    if (mediaKindOf(bytes, file) === 'photo') return classifier.classify(bytes, { top });
    videoReader ??= VideoReader.open(videoReaderOptions(context.config));
    return (await videoReader).read(bytes, frames);
  };
}

/** A reason as one line of stderr per file: a decoder's own words may run over several. */
const oneLine = (message: string) =>
  message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' | ');

/** Returns the process exit code: 0 when at least one photo or video was classified. */
export async function classifyCommand(inputs: string[], flags: ClassifyFlags, context: CliContext): Promise<number> {
  const files = await expandImagePaths(inputs);
  if (files.length === 0) {
    process.stderr.write('No image or video files found in the paths given.\n');
    return 1;
  }
  const classifier = await openClassifier(context, flags);
  const read = fileReader(classifier, context, flags.top);
  let classified = 0;
  // Results are printed in input order, as soon as every earlier one is known.
  const lines: (string | undefined)[] = new Array(files.length);
  let printed = 0;
  try {
    await forEachConcurrently(files, photosInFlight(context.config), async (file, index) => {
      try {
        const result = await read(file);
        classified++;
        lines[index] = `${flags.json ? jsonLine(file, result) : humanLine(file, result)}\n`;
      } catch (error) {
        lines[index] = '';
        process.stderr.write(`${file}: ${oneLine((error as Error).message)}\n`);
      }
      while (printed < lines.length && lines[printed] !== undefined) context.out.write(lines[printed++] as string);
    });
  } finally {
    await classifier.close();
  }
  return classified > 0 ? 0 : 1;
}
