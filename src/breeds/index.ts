/** Facts about the breeds beyond their names: the reviewed cards (FCI group, size, temperament). */
export * from './breed-cards.ts';
