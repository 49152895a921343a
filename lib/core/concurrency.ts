/** Running async work over a list with at most `limit` at a time (p-limit), keeping the order of the results. */
import pLimit from 'p-limit';

export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const run = pLimit(limit);
  return Promise.all(items.map((item, index) => run(() => work(item, index))));
}
