/**
 * The video front door: a clip's bytes → a VideoClassification. The bytes go to a private temp file (an MP4 whose
 * index is at its end needs a seekable input), ffprobe says what the clip declares, a bounded ffmpeg per sampled
 * moment extracts a frame, black and blurred frames are skipped, and the rest are classified and read together.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Classifier } from '../classifier.ts';
import { VideoDecoderMissing, VideoInputError } from './errors.ts';
import { runBounded, SpawnFailed } from './ffmpeg-run.ts';
import { clearFrames, type FrameQuality, measureFrame } from './frame-quality.ts';
import { type ExtractedFrame, extractFrames, sampleTimes } from './frames.ts';
import { probeClip } from './probe.ts';
import { type ReadFrame, readFramesTogether } from './video-answer.ts';
import type { VideoClassification } from './video-classification.ts';
import type { VideoReaderOptions } from './video-options.ts';

/** What reading a video needs of the classifier: each frame classified, the breeds to average over. */
export type FrameClassifier = Pick<Classifier, 'classify' | 'breeds'>;

/** `-version` answers at once; this only keeps a stuck binary from holding up the start. */
const VERSION_TIMEOUT_MS = 10_000;

const MISSING_HINT = 'install ffmpeg (Debian: apt-get install ffmpeg) or set FFMPEG_PATH/FFPROBE_PATH';

export class VideoReader {
  private constructor(
    readonly options: VideoReaderOptions,
    /** ffmpeg's version line, for the start-up log. */
    readonly version: string,
  ) {}

  /**
   * Finds ffmpeg and ffprobe (runs `-version`); throws VideoDecoderMissing, whose message says what to install,
   * when either is missing.
   */
  static async open(options: VideoReaderOptions): Promise<VideoReader> {
    const versions = await Promise.all(
      [options.ffmpegPath, options.ffprobePath].map(async (binary) => {
        const limits = { deadline: Date.now() + VERSION_TIMEOUT_MS, maxMemoryMb: options.maxMemoryMb };
        try {
          const run = await runBounded(binary, ['-version'], { ...limits, maxStdoutBytes: 1 << 20 });
          if (run.code === 0) return run.stdout.toString('utf8').split('\n')[0]?.trim() ?? binary;
          throw new VideoDecoderMissing(
            `${binary} -version failed (${run.stderr || `exit ${run.code}`}): ${MISSING_HINT}`,
          );
        } catch (error) {
          if (!(error instanceof SpawnFailed)) throw error;
          // The loader maps ffmpeg's libraries (about 300 MiB of address space) before main(): a tighter limit fails there.
          if (/failed to map segment|cannot allocate memory/i.test(error.message)) {
            throw new VideoDecoderMissing(
              `${binary} cannot start within VIDEO_MAX_MEMORY_MB=${options.maxMemoryMb} (it maps about 300 MiB of libraries; 512 and more work)`,
              { cause: error },
            );
          }
          throw new VideoDecoderMissing(`${binary} not found: ${MISSING_HINT}`, { cause: error });
        }
      }),
    );
    return new VideoReader(options, versions[0] as string);
  }

  /**
   * Reads the clip in `input` (its bytes, as downloaded: at most 20 MB): samples up to maxFrames frames spread over
   * it, skips black or blurred ones, classifies each with `classifier`, and reads them together — the main dog's
   * per-frame readings averaged; several dogs when the frames agree on several. Throws VideoInputError for a file
   * that cannot be read as a video (never hangs: ffmpeg is bounded in time and memory).
   */
  async read(input: Buffer, classifier: FrameClassifier): Promise<VideoClassification> {
    if (input.length === 0) throw new VideoInputError('empty', 'the file is empty');
    const started = performance.now();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-video-'));
    try {
      // No extension: ffmpeg then tells the format from the bytes, not from a name a stranger chose.
      const file = path.join(dir, 'clip');
      await writeFile(file, input, { mode: 0o600 });
      const { frames, durationS, sampled } = await this.decode(file, dir);
      const decodedMs = performance.now() - started;
      const read: ReadFrame[] = await Promise.all(
        frames.map(async (frame) => ({
          ...frame,
          result: await classifier.classify(frame.jpeg, { top: classifier.breeds.length }),
        })),
      );
      const { classification, shown } = readFramesTogether(read, classifier.breeds);
      const ms = classification.ms;
      return {
        ...classification,
        ms: { preprocess: ms.preprocess + decodedMs, inference: ms.inference, total: performance.now() - started },
        video: {
          framesRead: read.length,
          framesSampled: sampled,
          durationS,
          shownFrame: { atS: shown.atS, jpeg: shown.jpeg },
        },
      };
    } catch (error) {
      if (error instanceof SpawnFailed)
        throw new VideoDecoderMissing(`${error.message}: ${MISSING_HINT}`, { cause: error });
      throw error;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The clip probed, its frames extracted within the deadline, the clear ones kept. */
  private async decode(
    file: string,
    dir: string,
  ): Promise<{ frames: ExtractedFrame[]; durationS: number; sampled: number }> {
    const { options } = this;
    const limits = { deadline: Date.now() + options.timeoutMs, maxMemoryMb: options.maxMemoryMb };
    const facts = await probeClip(file, options, limits);
    const times = sampleTimes(facts, options.maxFrames);
    const extraction = await extractFrames(options.ffmpegPath, file, facts, times, dir, limits);
    const { frames } = extraction;
    if (frames.length === 0) {
      const problem = extraction.heavy > 0 ? 'too-heavy' : 'no-frames';
      throw new VideoInputError(problem, `no frame of ${times.length} read: ${extraction.firstError ?? 'none came'}`);
    }
    // A JPEG sharp cannot read (ffmpeg wrote it, but a damaged stream can make an odd one) is a frame not read.
    const measured = await Promise.all(
      frames.map(async (frame) => ({ frame, quality: await measureFrame(frame.jpeg).catch(() => null) })),
    );
    const readable = measured.filter((m): m is { frame: ExtractedFrame; quality: FrameQuality } => m.quality !== null);
    const clear = clearFrames(readable.map((m) => m.quality)).map((i) => readable[i]?.frame as ExtractedFrame);
    if (clear.length === 0) {
      throw new VideoInputError('no-clear-frame', `all ${frames.length} frames sampled are black or blurred`);
    }
    return { frames: clear, durationS: facts.durationS, sampled: frames.length };
  }
}
