/**
 * Breed cards (`models/breed-cards.json`): for each breed of the label file (the 120 and the further ImageNet breeds)
 * its group, size and a one-line temperament in every language. Validated at load: every breed the model names has
 * exactly one card; the cards of breeds it does not name (the Dalmatian for a 120-breed model) are left out.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { type Breed, ModelError } from '../vision/index.ts';

export const BREED_GROUPS = [
  'fci-1',
  'fci-2',
  'fci-3',
  'fci-4',
  'fci-5',
  'fci-6',
  'fci-7',
  'fci-8',
  'fci-9',
  'fci-10',
  'akc-hound',
  'ckc-working',
  'wild',
] as const;
export const BREED_SIZES = ['toy', 'small', 'medium', 'large', 'giant'] as const;

const cardSchema = z.strictObject({
  id: z.string().min(1),
  /** FCI group, or the national club's group for breeds the FCI does not recognise, or `wild`. */
  group: z.enum(BREED_GROUPS),
  size: z.enum(BREED_SIZES),
  /** One line each; Russian and English. */
  temperament: z.strictObject({ en: z.string().min(10).max(160), ru: z.string().min(10).max(160) }),
});
const fileSchema = z.object({ cards: z.array(cardSchema) });

export type BreedCard = z.infer<typeof cardSchema>;
export type BreedGroup = BreedCard['group'];
export type BreedSize = BreedCard['size'];

/** A ModelError: like a bad label file, the operator's to fix, and reported as one line at start-up. */
export class BreedCardError extends ModelError {}

export const BREED_CARDS_FILE = 'breed-cards.json';

/** The cards of `breeds` by id; throws when the file is unreadable, malformed, misses one of `breeds` or repeats one. */
export async function loadBreedCards(
  modelsDir: string,
  breeds: readonly Breed[],
): Promise<ReadonlyMap<string, BreedCard>> {
  const file = path.join(modelsDir, BREED_CARDS_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new BreedCardError(`Cannot read the breed cards ${file}: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BreedCardError(`Breed cards ${file} are invalid at ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const all = new Map(parsed.data.cards.map((card) => [card.id, card]));
  const missing = breeds.filter((b) => !all.has(b.id)).map((b) => b.id);
  const counts = new Map<string, number>();
  for (const card of parsed.data.cards) counts.set(card.id, (counts.get(card.id) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  if (missing.length > 0 || repeated.length > 0) {
    throw new BreedCardError(
      `Breed cards ${file} must cover each of the ${breeds.length} breeds once` +
        `${missing.length ? `; missing: ${missing.join(', ')}` : ''}` +
        `${repeated.length ? `; more than one card for: ${repeated.join(', ')}` : ''}`,
    );
  }
  return new Map(breeds.map((b) => [b.id, all.get(b.id) as BreedCard]));
}

/** For the classifier's `breedGroups`: each breed's group, read from the cards once the breeds are known. */
export function breedGroupsFromCards(
  modelsDir: string,
): (breeds: readonly Breed[]) => Promise<ReadonlyMap<string, string>> {
  return async (breeds) =>
    new Map([...(await loadBreedCards(modelsDir, breeds))].map(([id, card]) => [id, card.group]));
}
