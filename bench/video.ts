/**
 * The video rows of `npm run bench`: ms per video (a 10 s 720p slideshow, 8 frames sampled) beside ms per photo,
 * both through the same classifier in the same run, and their ratio; and the memory a clip near the Bot API's 20 MB
 * limit costs while it is read: the node process's peak RSS over its level before, and each ffmpeg's own peak
 * (VmHWM, polled from /proc), against the bound VIDEO_MAX_MEMORY_MB.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { videoReaderOptions } from '../src/app/index.ts';
import { Classifier, VideoReader, type VideoReaderOptions } from '../src/vision/index.ts';
import { extractFrames, sampleTimes } from '../src/vision/video/frames.ts';
import { probeClip } from '../src/vision/video/probe.ts';
import { BENCH_CONFIG, benchClassifierOptions, benchHeavyClip, benchSlideshow, IMAGES_DIR } from './setup.ts';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** ffmpeg/ffprobe children of this process and their peak resident memory (kB), read from /proc. */
async function childPeaks(into: Map<number, number>): Promise<void> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    if (!status.includes(`\nPPid:\t${process.pid}\n`) || !/^Name:\s+ff(mpeg|probe)/.test(status)) continue;
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    into.set(Number(entry), Math.max(into.get(Number(entry)) ?? 0, hwm));
  }
}

/** Runs `fn`, sampling this process's RSS and its ffmpeg children's peaks every few ms meanwhile. */
async function withMemoryWatch<T>(fn: () => Promise<T>) {
  const before = process.memoryUsage.rss();
  let peakRss = before;
  const children = new Map<number, number>();
  let watching = true;
  const watch = (async () => {
    while (watching) {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      await childPeaks(children);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const value = await fn();
  watching = false;
  await watch;
  return { value, before, peakRss, ffmpegPeaksKb: [...children.values()] };
}

/** ffprobe and the frame extraction of the reader, as it calls them, without the classifier. */
async function timeDecoding(file: string, options: VideoReaderOptions): Promise<number> {
  const started = performance.now();
  const limits = { deadline: Date.now() + options.timeoutMs, maxMemoryMb: options.maxMemoryMb };
  const facts = await probeClip(file, options, limits);
  const out = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-bench-frames-'));
  try {
    await extractFrames(options.ffmpegPath, file, facts, sampleTimes(facts, options.maxFrames), out, limits);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  return performance.now() - started;
}

export async function benchVideo(rounds: number): Promise<void> {
  console.log('\n## videos (the service defaults: float + detector; ffmpeg as VIDEO_* set it)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-bench-video-'));
  const classifier = await Classifier.create(benchClassifierOptions({ detector: 'yolox-nano-coco' }));
  try {
    const options = videoReaderOptions(BENCH_CONFIG);
    const reader = await VideoReader.open(options);
    const dogs = (await readdir(path.join(IMAGES_DIR, 'dogs'))).sort().slice(0, 5);
    const files = dogs.map((file) => path.join(IMAGES_DIR, 'dogs', file));
    const photos = await Promise.all(files.map((file) => readFile(file)));
    const clipFile = await benchSlideshow(dir, files);
    const clip = await readFile(clipFile);
    const heavy = await readFile(await benchHeavyClip(dir));

    for (const photo of photos) await classifier.classify(photo); // warm-up
    await reader.read(clip, classifier);
    const photoMs: number[] = [];
    const videoMs: number[] = [];
    const decodeMs: number[] = [];
    let frames = 0;
    for (let r = 0; r < rounds; r++) {
      for (const photo of photos) {
        const started = performance.now();
        await classifier.classify(photo);
        photoMs.push(performance.now() - started);
      }
      const started = performance.now();
      const result = await reader.read(clip, classifier);
      videoMs.push(performance.now() - started);
      decodeMs.push(await timeDecoding(clipFile, options));
      frames = result.video.framesRead;
    }
    const perPhoto = median(photoMs);
    const perVideo = median(videoMs);
    console.log(
      `video (10 s 720p slideshow, ${frames} frames read): median ${perVideo.toFixed(0)} ms/video; photo: median ` +
        `${perPhoto.toFixed(0)} ms/photo; ratio ${(perVideo / perPhoto).toFixed(1)} (${rounds} rounds); of a video, ` +
        `${median(decodeMs).toFixed(0)} ms are ffprobe and ffmpeg's (the same calls, timed alone)`,
    );

    const watched = await withMemoryWatch(() => reader.read(heavy, classifier));
    const ffmpegPeak = Math.max(0, ...watched.ffmpegPeaksKb) * 1024;
    console.log(
      `memory reading a ${(heavy.length / 1e6).toFixed(1)} MB 1080p clip: node RSS ${mib(watched.before)} → peak ` +
        `${mib(watched.peakRss)} MiB (+${mib(watched.peakRss - watched.before)}); ffmpeg peak RSS ${mib(ffmpegPeak)} MiB ` +
        `(the largest of ${watched.ffmpegPeaksKb.length} ffmpeg/ffprobe processes seen), bound ${options.maxMemoryMb} ` +
        `MiB of address space each; read in ${watched.value.ms.total.toFixed(0)} ms`,
    );
  } finally {
    await classifier.close();
    await rm(dir, { recursive: true, force: true });
  }
}
