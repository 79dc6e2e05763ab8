/**
 * Every store that keeps something about people, by name, so /forget deletes a person's data with one call and can say
 * what each store deleted. A new store of personal data implements `PersonalStore` and is registered where the stores
 * are opened; /forget then forgets it too.
 */

/** A store holding records about people. */
export interface PersonalStore {
  /** Deletes every record about this person; resolves to how many it deleted. */
  forget(userId: number): Promise<number>;
}

export class PersonalStores<Name extends string> {
  constructor(private readonly stores: Readonly<Record<Name, PersonalStore>>) {}

  /** Asks every store, at once, to forget this person; how many records each deleted, by store name. */
  async forgetAll(userId: number): Promise<Record<Name, number>> {
    const entries = Object.entries<PersonalStore>(this.stores);
    const counts = await Promise.all(entries.map(([, store]) => store.forget(userId)));
    return Object.fromEntries(entries.map(([name], i) => [name, counts[i]])) as Record<Name, number>;
  }
}
