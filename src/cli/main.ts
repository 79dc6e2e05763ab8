#!/usr/bin/env node
/** `dog-breeds`: the command line of the dog-breed service. */
import { Command, InvalidArgumentError } from 'commander';
import { OperatorError } from '../operator-error.ts';
import { batchCommand } from './commands/batch.ts';
import { classifyCommand } from './commands/classify.ts';
import { evalCommand } from './commands/eval.ts';
import { exportFeedbackCommand } from './commands/export-feedback.ts';
import { modelListCommand, modelPullCommand } from './commands/model.ts';
import { reprocessCommand } from './commands/reprocess.ts';
import { createCliContext } from './context.ts';
import { packageVersion } from './version.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('It must be a whole number ≥ 1.');
  return n;
}

/** Runs a command; known failures become one clear line on stderr, not a stack trace. */
function action<A extends unknown[]>(run: (...args: A) => Promise<number>) {
  return async (...args: A): Promise<void> => {
    try {
      process.exitCode = await run(...args);
    } catch (error) {
      if (error instanceof OperatorError) {
        process.stderr.write(`dog-breeds: ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw error;
    }
  };
}

const program = new Command('dog-breeds')
  .description('Names the dog in a photo: the three most likely of 120 breeds.')
  .version(packageVersion(), '-V, --version', "print dog-breeds's version")
  .option('-v, --verbose', 'also log what the service logs at info level (the device in use, a worker starting)');

/** Each command's context, with the options given before or after the command's name. */
const context = () => createCliContext(program.opts());

const modelOption = [
  '-m, --model <id|path>',
  'model manifest id or path (default: MODEL or mobilenetv2-imagenet)',
] as const;
const flipOption = [
  '--flip',
  'average each prediction with the mirrored photo (slower, slightly more accurate)',
] as const;
const noDetectorOption = [
  '--no-detector',
  'classify the whole photo only (no dog detector: one answer per photo, as before the detector)',
] as const;

program
  .command('classify')
  .description('classify photos (files or folders)')
  .argument('<paths...>', 'image files or folders')
  .option(...modelOption)
  .option(...flipOption)
  .option(...noDetectorOption)
  .option('-k, --top <n>', 'how many breeds to show', positiveInt, 3)
  .option('--json', 'one JSON object per photo per line')
  .action(action((paths: string[], flags) => classifyCommand(paths, flags, context())));

program
  .command('eval')
  .description('measure accuracy on a labelled set (file,breed csv; not_dog for photos without a dog)')
  .argument('<labels.csv>', 'labels file; paths are relative to it')
  .option(...modelOption)
  .option(...flipOption)
  .option(...noDetectorOption)
  .option('--fit-temperature', 'also fit the temperature that makes the percentages calibrated on this set')
  .option(
    '--pairs <n>',
    "instead, compose n photos of two of the set's dogs side by side (and n/3 of three): are all found and named?",
    positiveInt,
  )
  .option('--plot <file.png>', 'also write the reliability diagram (stated % against how often right) as a PNG')
  .option('--json', 'print the summary as one JSON object')
  .action(action((csv: string, flags) => evalCommand(csv, flags, context())));

program
  .command('batch')
  .description('classify photos in bulk through the queue (resumable: run it again to continue)')
  .argument('<inputs...>', 'folders, image files, labels.csv files, or http(s) URLs')
  .requiredOption('-o, --out <file>', 'results file: .jsonl (one JSON object per photo) or .csv')
  .option(...modelOption)
  .option('--local', 'also run a worker in this process (no separate worker needed)')
  .action(action((inputs: string[], flags) => batchCommand(inputs, flags, context())));

program
  .command('reprocess')
  .description('re-run recent chat photos through another model and report how the answers would change')
  .requiredOption('--since <duration>', 'how far back: 30m, 12h, 7d, 2w')
  .requiredOption('-m, --model <id|path>', 'the model to compare with')
  .option('--local', 'also run a worker in this process (it needs BOT_TOKEN to download the photos)')
  .option('-o, --out <file>', 'also write each new answer to a .jsonl or .csv file')
  .option('--json', 'print the report as one JSON object')
  .action(action((flags) => reprocessCommand(flags, context())));

program
  .command('export-feedback')
  .description("people's 👍/👎 as a labelled set in Kaggle's layout (train/<id>.jpg + labels.csv) for training")
  .requiredOption('-o, --out <dir>', 'output folder (resumable: photos already there are kept)')
  .option('--since <duration>', 'only feedback from the last 30m, 12h, 7d, 2w')
  .option('--only-wrong', 'only corrections (👎 with the right breed), not confirmations')
  .action(action((flags) => exportFeedbackCommand(flags, context())));

const model = program.command('model').description('model files');
model
  .command('pull')
  .description("fetch a model's file from its source (or --from) and verify its sha256")
  .argument('<id|path>', 'model manifest id or path')
  .option('--from <path|URL>', 'take the file from here instead of the manifest source')
  .action(action((ref: string, flags: { from?: string }) => modelPullCommand(ref, flags, context())));
model
  .command('list')
  .description('list the model manifests and whether their files are in place')
  .action(action(() => modelListCommand(context())));

errorsInOneLine(program);
await program.parseAsync();

/**
 * A wrong option or argument is one line with a hint where the help is, not the error followed by the whole help
 * (which pushed the error itself off a small terminal).
 */
function errorsInOneLine(command: Command, parents: readonly string[] = []): void {
  const name = [...parents, command.name()].join(' ');
  command.showHelpAfterError(false).configureOutput({
    outputError: (text, write) => write(`${text.trimEnd().replaceAll('\n', ' ')} (see ${name} --help)\n`),
  });
  for (const sub of command.commands) errorsInOneLine(sub, [...parents, command.name()]);
}
