/**
 * Claims on webhook deliveries, per update_id, shared by every bot replica through Redis. Telegram delivers an
 * update at least once: again after a timeout or an error answer, possibly to another replica, possibly while the
 * first delivery is still being handled. The first delivery claims the update (`working`); the handling marks it
 * `done` when it ends. A claim is short-lived: a replica that dies mid-update leaves a `working` claim that expires,
 * so Telegram's next re-delivery is handled — an update is never lost to a claim.
 */
import type { Redis } from 'ioredis';
import { StoreKeys } from './store-keys.ts';

/** What a delivery found: it is the one to handle the update, another is handling it, or it was handled. */
export type ClaimOutcome = 'claimed' | 'in-progress' | 'done';

export interface UpdateClaimOptions {
  redis: Redis;
  prefix: string;
  /** How long a `working` claim holds: longer than handling one update can take (its Telegram retries included). */
  workingSeconds: number;
  /** How long a `done` claim is remembered: longer than Telegram goes on re-sending an unanswered update. */
  doneSeconds: number;
}

const WORKING = 'working';
const DONE = 'done';

export class UpdateClaims {
  private readonly keys: StoreKeys;

  constructor(private readonly options: UpdateClaimOptions) {
    this.keys = new StoreKeys(options.prefix);
  }

  /** Claims the update for this delivery, atomically (SET NX): of concurrent deliveries exactly one gets `claimed`. */
  async claim(updateId: number): Promise<ClaimOutcome> {
    const key = this.keys.updateClaim(updateId);
    const { redis, workingSeconds } = this.options;
    if ((await redis.set(key, WORKING, 'EX', workingSeconds, 'NX')) === 'OK') return 'claimed';
    // The claim may have expired between the two calls: then it is not done, and the re-delivery after comes in.
    return (await redis.get(key)) === DONE ? 'done' : 'in-progress';
  }

  /** The handling gave up for now (Redis refused it): the next delivery handles the update again. */
  async release(updateId: number): Promise<void> {
    await this.options.redis.del(this.keys.updateClaim(updateId));
  }

  /** The update was handled (answered, or told it failed): re-deliveries are acknowledged without a second look. */
  async finish(updateId: number): Promise<void> {
    await this.options.redis.set(this.keys.updateClaim(updateId), DONE, 'EX', this.options.doneSeconds);
  }
}
