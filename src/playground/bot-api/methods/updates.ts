/**
 * Bot API methods for receiving updates: getUpdates (long polling), and setWebhook / deleteWebhook / getWebhookInfo
 * (webhook delivery: `../webhook-delivery.ts`). While a webhook is set, getUpdates answers 409, as Telegram does.
 */
import { badRequest } from '../api-error.ts';
import { clamp, optArr, optBool, optInt, optStr, type Params } from '../params.ts';
import type { StandInState } from '../state.ts';
import type { Update } from '../types.ts';
import { webhookActive } from '../webhook-delivery.ts';
import type { CallContext, MethodHandler } from './context.ts';

const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export function updateMethods({ updates, webhook, maxPollSeconds }: StandInState): Record<string, MethodHandler> {
  return {
    getUpdates: (p: Params, ctx: CallContext): Update[] | Promise<Update[]> => {
      if (webhook.active) throw webhookActive();
      return updates.poll({
        offset: optInt(p, 'offset'),
        limit: clamp(optInt(p, 'limit') ?? 100, 1, 100),
        timeoutSeconds: clamp(optInt(p, 'timeout') ?? 0, 0, maxPollSeconds),
        signal: ctx.signal,
      });
    },
    setWebhook: (p) => {
      const url = optStr(p, 'url') ?? '';
      if (optBool(p, 'drop_pending_updates')) updates.dropPending();
      // Telegram: an empty url removes the webhook.
      if (url === '') {
        webhook.delete();
        return true;
      }
      if (!/^https?:\/\//.test(url)) throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      const secretToken = optStr(p, 'secret_token');
      if (secretToken !== undefined && !SECRET_TOKEN.test(secretToken)) {
        throw badRequest('bad webhook: secret token contains unallowed characters');
      }
      const allowed = optArr(p, 'allowed_updates');
      webhook.set({
        url,
        maxConnections: clamp(optInt(p, 'max_connections') ?? 40, 1, 100),
        ...(secretToken !== undefined ? { secretToken } : {}),
        ...(allowed && allowed.length > 0 ? { allowedUpdates: allowed.map(String) } : {}),
      });
      return true;
    },
    deleteWebhook: (p) => {
      if (optBool(p, 'drop_pending_updates')) updates.dropPending();
      webhook.delete();
      return true;
    },
    getWebhookInfo: () => webhook.info(),
  };
}
