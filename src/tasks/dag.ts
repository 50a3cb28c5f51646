/** Validation of a job's dependency graph: every dependency names a task of the job, and there is no cycle. */

export type DagProblem =
  | { readonly kind: 'unknown'; readonly task: string; readonly dependency: string }
  | { readonly kind: 'self'; readonly task: string }
  | { readonly kind: 'cycle'; readonly path: readonly string[] };

/**
 * `dependsOn[i]` lists the local ids task `ids[i]` waits for (ids are unique). Returns the first
 * problem in a deterministic order (tasks in position order, dependencies in the order given),
 * or undefined. Iterative depth-first search, so a long chain cannot overflow the stack.
 */
export function findDagProblem(ids: readonly string[], dependsOn: readonly (readonly string[])[]): DagProblem | undefined {
  const position = new Map<string, number>();
  ids.forEach((id, i) => position.set(id, i));
  const edges: number[][] = [];
  for (const [i, deps] of dependsOn.entries()) {
    const list: number[] = [];
    for (const dep of deps) {
      const j = position.get(dep);
      if (j === undefined) return { kind: 'unknown', task: ids[i] ?? '', dependency: dep };
      if (j === i) return { kind: 'self', task: dep };
      list.push(j);
    }
    edges.push(list);
  }
  // 0 = unvisited, 1 = on the current path, 2 = done.
  const mark = new Uint8Array(ids.length);
  for (let root = 0; root < ids.length; root++) {
    if (mark[root] !== 0) continue;
    const stack: [node: number, next: number][] = [[root, 0]];
    mark[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const [node, next] = top;
      const out = edges[node] ?? [];
      if (next >= out.length) {
        mark[node] = 2;
        stack.pop();
        continue;
      }
      top[1] = next + 1;
      const child = out[next] ?? 0;
      if (mark[child] === 1) {
        const start = stack.findIndex(([n]) => n === child);
        return { kind: 'cycle', path: [...stack.slice(start).map(([n]) => ids[n] ?? ''), ids[child] ?? ''] };
      }
      if (mark[child] === 0) {
        mark[child] = 1;
        stack.push([child, 0]);
      }
    }
  }
  return undefined;
}
