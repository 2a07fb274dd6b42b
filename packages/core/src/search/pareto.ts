// The accuracy-versus-latency Pareto front of evaluated candidates: the report's chart marks it,
// `pareto.json` lists it so that a user can take another trade-off without searching again.

/** The candidates on the accuracy-versus-latency Pareto front (higher accuracy, lower latency), by index. */
export function paretoFront(points: readonly { latencyMs: number; accuracy: number }[]): Set<number> {
  const order = points
    .map((_, i) => i)
    .sort(
      (a, b) =>
        (points[a]?.latencyMs as number) - (points[b]?.latencyMs as number) ||
        (points[b]?.accuracy as number) - (points[a]?.accuracy as number),
    );
  const front = new Set<number>();
  let best = Number.NEGATIVE_INFINITY;
  for (const i of order) {
    const acc = points[i]?.accuracy as number;
    if (acc > best) {
      front.add(i);
      best = acc;
    }
  }
  return front;
}
