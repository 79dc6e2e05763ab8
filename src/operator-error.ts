/**
 * The one base class of the operator's errors: what whoever runs the service must fix (a setting, a missing model
 * file, Redis or a port not there). Entry points print its message as one line and exit, no stack trace; anything
 * else is a bug and is logged whole. A leaf module: every folder may import it, it imports nothing.
 */
export class OperatorError extends Error {
  override readonly name: string = 'OperatorError';
}

/** Explains the first problems zod found, naming each field by its path (`input.normalize.std.1`). */
export function describeIssues(
  error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] },
  max = 3,
): string {
  return error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
