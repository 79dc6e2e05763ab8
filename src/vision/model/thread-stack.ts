/**
 * How much stack an inference thread gets. onnxruntime's session creation uses stack in proportion to the process's
 * command line: measured here (onnxruntime-node 1.x, Node 20, x86-64) at about 290 bytes of thread stack per byte of
 * command line, on top of a fraction of a MB — so Node's default 4 MB for a worker thread overflows (a segmentation
 * fault) past about 13 KB of arguments, e.g. `dog-breeds classify photos/*.jpg` with a couple of hundred photos.
 * The stack is reserved address space, touched only as used, so a generous size costs nothing when unused.
 */

const MIB = 1024 * 1024;
/** Twice Node's default: room for onnxruntime's other deep native calls whatever the command line. */
const BASE_STACK_MB = 8;
/** Stack bytes per command-line byte: the measured ~290 with a third more as margin. */
const STACK_BYTES_PER_ARGUMENT_BYTE = 384;

/** The command line's size as the kernel keeps it: every argument with its terminating NUL. */
export function commandLineBytes(
  argv: readonly string[] = [process.argv0, ...process.execArgv, ...process.argv.slice(1)],
): number {
  return argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0);
}

/** The `resourceLimits.stackSizeMb` of an inference thread for a command line of `bytes` bytes. */
export function inferenceStackMb(bytes: number = commandLineBytes()): number {
  return BASE_STACK_MB + Math.ceil((bytes * STACK_BYTES_PER_ARGUMENT_BYTE) / MIB);
}
