/**
 * The inference thread: owns one onnxruntime session. `session.run` is synchronous native work that would block the
 * event loop for hundreds of milliseconds; here it blocks only this thread, so the bot and the BullMQ worker in the
 * main thread keep answering and renewing their job locks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { RunRequest, RunResponse, ThreadInit, ThreadReady } from './protocol.ts';

const init = workerData as ThreadInit;
// A failed CUDA probe in auto mode is expected on CPU hosts and reported by the caller in one line; onnxruntime would
// otherwise print its own error for it. Real failures still surface as exceptions.
ort.env.logLevel = init.device === 'auto' ? 'fatal' : 'error';
const port = parentPort;
if (port === null) throw new Error('inference-thread.ts runs as a worker thread');

function sessionOptions(provider: 'cuda' | 'cpu'): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cuda' ? [{ name: 'cuda', deviceId: init.cudaDeviceId }, 'cpu'] : ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(init.intraOpThreads > 0 ? { intraOpNumThreads: init.intraOpThreads } : {}),
    interOpNumThreads: 1,
    // onnxruntime's pool threads busy-wait between operators by default; in a process that also runs the bot and
    // the queue (and on small machines) that steals the CPU the event loop needs. Off unless asked for.
    extra: { session: { intra_op: { allow_spinning: init.spinning ? '1' : '0' } } },
    // 3 = errors only. A failed CUDA probe logs at error level natively; in auto mode we report it ourselves.
    logSeverityLevel: init.device === 'auto' && provider === 'cuda' ? 4 : 3,
  };
}

async function openSession(): Promise<{ session: ort.InferenceSession; ready: ThreadReady }> {
  const ready = (session: ort.InferenceSession, device: 'cuda' | 'cpu', fallbackReason?: string) => {
    const meta = session.outputMetadata.find((m) => m.name === init.outputName);
    const outputDims = meta?.isTensor ? meta.shape : [];
    return {
      session,
      ready: { type: 'ready', device, outputDims, ...(fallbackReason ? { fallbackReason } : {}) } as const,
    };
  };
  if (init.device === 'cpu')
    return ready(await ort.InferenceSession.create(init.modelPath, sessionOptions('cpu')), 'cpu');
  try {
    return ready(await ort.InferenceSession.create(init.modelPath, sessionOptions('cuda')), 'cuda');
  } catch (error) {
    const reason = (error as Error).message;
    if (init.device === 'cuda') {
      throw new Error(
        `DEVICE=cuda but onnxruntime's CUDA execution provider could not start (${reason}). Install the GPU build ` +
          '(ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node --ignore-scripts=false, CUDA 12 + cuDNN 9 on ' +
          'the host), or set DEVICE=auto or DEVICE=cpu.',
      );
    }
    return ready(await ort.InferenceSession.create(init.modelPath, sessionOptions('cpu')), 'cpu', reason);
  }
}

async function main(messagePort: NonNullable<typeof parentPort>): Promise<void> {
  let session: ort.InferenceSession;
  try {
    const opened = await openSession();
    session = opened.session;
    messagePort.postMessage(opened.ready);
  } catch (error) {
    messagePort.postMessage({ type: 'failed', message: (error as Error).message } satisfies ThreadReady);
    return;
  }
  messagePort.on('message', async (request: RunRequest) => {
    let response: RunResponse;
    try {
      const input = new ort.Tensor('float32', request.input, [request.batch, ...init.itemDims]);
      const results = await session.run({ [init.inputName]: input }, [init.outputName]);
      const output = results[init.outputName];
      if (output === undefined || !(output.data instanceof Float32Array)) {
        throw new Error(`model output "${init.outputName}" is missing or not float32`);
      }
      // A copy we own, so it can be transferred to the main thread without touching onnxruntime's memory.
      response = { id: request.id, output: output.data.slice() };
    } catch (error) {
      response = { id: request.id, error: (error as Error).message };
    }
    messagePort.postMessage(response, 'output' in response ? [response.output.buffer as ArrayBuffer] : []);
  });
}

void main(port);
