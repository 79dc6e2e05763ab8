/** Bot API methods for receiving updates: getUpdates (long polling) and the webhook calls grammY makes first. */
import { clamp, optBool, optInt, type Params } from '../params.ts';
import type { StandInState } from '../state.ts';
import type { Update } from '../types.ts';
import type { CallContext, MethodHandler } from './context.ts';

export function updateMethods({ updates, maxPollSeconds }: StandInState): Record<string, MethodHandler> {
  return {
    getUpdates: (p: Params, ctx: CallContext): Update[] | Promise<Update[]> =>
      updates.poll({
        offset: optInt(p, 'offset'),
        limit: clamp(optInt(p, 'limit') ?? 100, 1, 100),
        timeoutSeconds: clamp(optInt(p, 'timeout') ?? 0, 0, maxPollSeconds),
        signal: ctx.signal,
      }),
    deleteWebhook: (p) => {
      if (optBool(p, 'drop_pending_updates')) updates.dropPending();
      return true;
    },
    getWebhookInfo: () => ({ url: '', has_custom_certificate: false, pending_update_count: updates.pendingCount }),
  };
}
