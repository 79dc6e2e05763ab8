/** The tests' seeded generator is the command line's (mulberry32), so a failure can be replayed with the printed seed. */
export { seededRandom } from '../../src/cli/seeded-random.ts';
