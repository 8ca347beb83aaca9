/**
 * The canonical text of a document, byte-identical to Python's ``spec.dumps``:
 * sorted keys, 2-space indent, non-ASCII kept, final newline, and float-typed
 * model fields written the way Python writes floats (``100.0``, ``1e-05``).
 * Saving from the Lab canvas therefore produces the same bytes as saving from
 * Python, and git diffs stay small.
 */

/** Python's repr() of a float. */
export function pyFloat(n: number): string {
  if (!Number.isFinite(n)) {
    return n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
  }
  const abs = Math.abs(n);
  if (n !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa, exp] = n.toExponential().split('e');
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  if (Number.isInteger(n)) {
    // Template literals print -0 as "0"; Python keeps the sign.
    return Object.is(n, -0) ? '-0.0' : `${n}.0`;
  }
  return String(n);
}

const FLOAT_KEYS_IN_POSITION = new Set(['x', 'y', 'zoom']);
const FLOAT_KEYS_IN_RETRY = new Set(['initial_interval', 'backoff_factor', 'max_interval']);

/** Which numbers the pydantic models declare as float (path given as key names). */
function isFloatField(path: string[]): boolean {
  const n = path.length;
  const key = path[n - 1];
  if (path[0] === 'canvas') {
    // canvas.positions.<id>.x | canvas.viewport.x | canvas.comments.<i>.x
    if (path[1] === 'positions' && n === 4) return FLOAT_KEYS_IN_POSITION.has(key);
    if (path[1] === 'viewport' && n === 3) return FLOAT_KEYS_IN_POSITION.has(key);
    if (path[1] === 'comments' && n === 4) return key === 'x' || key === 'y';
    return false;
  }
  if (path[0] !== 'graph') return false;
  // A node is an element of any "nodes" list below graph; timeout / retry.* are floats.
  const nodesAt = path.lastIndexOf('nodes');
  if (nodesAt < 0) return false;
  const rest = path.slice(nodesAt + 2);
  if (rest.length === 1 && rest[0] === 'timeout') return true;
  return rest.length === 2 && rest[0] === 'retry' && FLOAT_KEYS_IN_RETRY.has(rest[1]);
}

function write(value: unknown, path: string[], indent: string, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value === 'number') {
    out.push(isFloatField(path) ? pyFloat(value) : Number.isInteger(value) ? String(value) : pyFloat(value));
  } else if (typeof value === 'string' || typeof value === 'boolean') {
    out.push(JSON.stringify(value));
  } else if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    const inner = indent + '  ';
    out.push('[\n');
    value.forEach((item, i) => {
      out.push(inner);
      write(item, [...path, String(i)], inner, out);
      out.push(i < value.length - 1 ? ',\n' : '\n');
    });
    out.push(indent + ']');
  } else if (typeof value === 'object') {
    const keys = Object.keys(value as object)
      .filter(k => (value as Record<string, unknown>)[k] !== undefined)
      .sort(comparePython);
    if (keys.length === 0) {
      out.push('{}');
      return;
    }
    const inner = indent + '  ';
    out.push('{\n');
    keys.forEach((key, i) => {
      out.push(inner, JSON.stringify(key), ': ');
      write((value as Record<string, unknown>)[key], [...path, key], inner, out);
      out.push(i < keys.length - 1 ? ',\n' : '\n');
    });
    out.push(indent + '}');
  } else {
    out.push(JSON.stringify(String(value)));
  }
}

/** Python sorts str keys by code point; JS sort() compares UTF-16 units. */
function comparePython(a: string, b: string): number {
  const ca = Array.from(a);
  const cb = Array.from(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const d = (ca[i].codePointAt(0) ?? 0) - (cb[i].codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

/** Members that Python omits when they are None (``exclude_if``). */
function dropNone(doc: unknown): unknown {
  const data = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  if (data.id === null) delete data.id;
  const canvas = data.canvas as Record<string, unknown> | undefined;
  if (canvas && canvas.viewport === null) delete canvas.viewport;
  const triggers = data.triggers as Record<string, unknown>[] | undefined;
  for (const t of triggers ?? []) {
    if (t && t.id === null) delete t.id;
  }
  const graph = data.graph as Record<string, unknown> | undefined;
  const visit = (ir: Record<string, unknown> | undefined): void => {
    for (const node of (ir?.nodes as Record<string, unknown>[] | undefined) ?? []) {
      if (node.retry === null) delete node.retry;
      if (node.timeout === null) delete node.timeout;
      if (node.kind === 'subgraph') visit(node.graph as Record<string, unknown>);
    }
  };
  if (graph && graph.format === 'frozen-ir') visit(graph.ir as Record<string, unknown>);
  return data;
}

export function dumps(doc: unknown): string {
  const out: string[] = [];
  write(dropNone(doc), [], '', out);
  return out.join('') + '\n';
}
