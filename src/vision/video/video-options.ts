/** How videos are read: the decoder, and the bounds that keep a bad file from hanging or swelling the worker. */
export interface VideoReaderOptions {
  /**
   * The ffmpeg binary (FFMPEG_PATH).
   * @defaultValue 'ffmpeg'
   */
  ffmpegPath: string;
  /**
   * The ffprobe binary (FFPROBE_PATH).
   * @defaultValue 'ffprobe'
   */
  ffprobePath: string;
  /**
   * Most frames sampled from one clip, spread over it (VIDEO_MAX_FRAMES).
   * @defaultValue 8
   */
  maxFrames: number;
  /**
   * Longest clip read, in seconds (VIDEO_MAX_SECONDS); longer ones get a kind message.
   * @defaultValue 600
   */
  maxDurationS: number;
  /**
   * Most pixels of one frame as the file declares it (VIDEO_MAX_PIXELS; 4K is 8 294 400): more is refused unread.
   * @defaultValue 8294400
   */
  maxFramePixels: number;
  /**
   * Time for reading one clip, probe and every frame together (VIDEO_TIMEOUT_MS): ffmpeg is killed past it, and the
   * frames read by then are used.
   * @defaultValue 30000
   */
  timeoutMs: number;
  /**
   * Address-space limit of each ffmpeg process, in MiB (VIDEO_MAX_MEMORY_MB): a bomb fails inside ffmpeg, not the
   * worker.
   * @defaultValue 1024
   */
  maxMemoryMb: number;
}
