/**
 * "Every photo gets exactly one answer", checked from the chat's side: for each photo the person sent, the bot's
 * replies to it, and what its status message went through.
 */
import type { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { poll } from './poll.ts';

export interface SentPhoto {
  chatId: number;
  messageId: number;
}

export interface AnswerAudit {
  photos: number;
  /** Photos with exactly one reply, now showing an answer. */
  answered: number;
  /** Photos with no reply showing an answer. */
  lost: number;
  /** Photos with more than one reply, or whose status was edited into more than one answer. */
  duplicated: number;
  /** Descriptions of the photos that were lost or duplicated. */
  problems: string[];
}

/**
 * Answers, friendly refusals, "no dog" — anything that is the end of the conversation about a photo. An answer has a
 * "🐶 breed" line: first, or after the "🤔 Probably a terrier" lead when only the breed group is sure.
 */
export const FINAL_TEXT = /(^|\n)🐶|don't see a dog|could not|not an image|too (large|small)|over 20 MB|Sorry/;

export function auditAnswers(
  standIn: BotApiStandIn,
  sent: readonly SentPhoto[],
  isFinal = (t: string) => FINAL_TEXT.test(t),
): AnswerAudit {
  const audit: AnswerAudit = { photos: sent.length, answered: 0, lost: 0, duplicated: 0, problems: [] };
  for (const photo of sent) {
    const replies = standIn
      .botMessagesIn(photo.chatId)
      .filter((m) => m.reply_to_message?.message_id === photo.messageId);
    // A photo of several dogs is answered by a photo (numbered boxes) whose caption is the answer.
    const shown = (m: (typeof replies)[number]) => m.text ?? m.caption ?? '';
    const finals = replies.filter((m) => isFinal(shown(m)));
    const answersInEdits = replies.flatMap((m) => [...m.editHistory, shown(m)].filter((t) => isFinal(t)));
    if (finals.length === 0) {
      audit.lost++;
      audit.problems.push(
        `chat ${photo.chatId} message ${photo.messageId}: no answer (${replies.map(shown).join(' | ')})`,
      );
    } else if (replies.length > 1 || new Set(answersInEdits).size > 1) {
      audit.duplicated++;
      audit.problems.push(
        `chat ${photo.chatId} message ${photo.messageId}: ${replies.length} replies, answers ${[...new Set(answersInEdits)].join(' | ')}`,
      );
    } else audit.answered++;
  }
  return audit;
}

/**
 * Resolves when every photo has a final reply (or rejects after the timeout with the audit so far). Audits on a
 * timer, not on every Bot API call: with a thousand photos, auditing per call would busy the stand-in itself.
 */
export async function waitForAllAnswers(
  standIn: BotApiStandIn,
  sent: readonly SentPhoto[],
  timeoutMs: number,
  isFinal?: (text: string) => boolean,
): Promise<AnswerAudit> {
  try {
    return await poll(
      () => {
        const audit = auditAnswers(standIn, sent, isFinal);
        return audit.lost === 0 ? audit : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch {
    const audit = auditAnswers(standIn, sent, isFinal);
    throw new Error(
      `${audit.lost} of ${audit.photos} photos unanswered after ${timeoutMs} ms:\n${audit.problems.slice(0, 10).join('\n')}`,
    );
  }
}

/** The bot's messages in these chats that do not show a final text: a status ("Looking…") nobody finished. */
export function unfinishedMessages(
  standIn: BotApiStandIn,
  chatIds: Iterable<number>,
  isFinal = (t: string) => FINAL_TEXT.test(t),
): Array<{ chatId: number; messageId: number; text: string }> {
  return [...new Set(chatIds)].flatMap((chatId) =>
    standIn
      .botMessagesIn(chatId)
      .filter((m) => !isFinal(m.text ?? m.caption ?? ''))
      .map((m) => ({ chatId, messageId: m.message_id, text: m.text ?? m.caption ?? '' })),
  );
}
