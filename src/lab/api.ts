/** The orcheo REST/WebSocket API under the Jupyter base URL, with Jupyter's auth. */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { CatalogEntry, Problem, RunEvent, RunOptions, WorkflowDocument } from '../canvas/types';

export interface WorkflowSummary {
  id: string;
  name: string;
  slug?: string;
  description?: string;
  latest_version?: number;
  updated_at?: string;
}

export interface TemplateSummary {
  name: string;
  title: string;
  description: string;
  tags: string[];
}

/** One trigger in ``GET /workflows/{id}/triggers`` (what the panel reads of it). */
export interface TriggerItem {
  id: string;
  type: string;
  enabled: boolean;
  next_fire_at?: string | null;
  last_fire_at?: string | null;
  next_poll_at?: string | null;
  last_poll?: { status?: string; polled_at?: string; detail?: string | null } | null;
}

/** One credential as ``GET /credentials`` lists it (never its value). */
export interface CredentialSummary {
  name: string;
  kind: 'secret' | 'oauth';
  scope: 'all' | string[];
  description: string;
  rotated_at: string | null;
  created_at: string;
  health: { status: string; healthy: boolean; reason: string | null };
}

/** ``GET /workflows/{id}/triggers``. */
export interface TriggersDetail {
  version: number;
  webhook: {
    trigger_id: string;
    path: string;
    methods: string[];
    auth: string;
    idempotency_header: string;
    signature_header: string | null;
  } | null;
  triggers: TriggerItem[];
}

export interface WorkflowDetail extends WorkflowSummary {
  version: number;
  document: WorkflowDocument;
}

/** A create, save or restore answer: ``stored`` is false when the latest version already held the document. */
export interface StoredWorkflow extends WorkflowDetail {
  stored: boolean;
}

export interface ExecutionSummary {
  id: string;
  workflow_id?: string | null;
  version?: number | null;
  status: string;
  error?: string | null;
  created_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
  last_seq?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The error's machine-readable ``code`` (e.g. ``comment_required``), when given. */
    readonly code: string | null = null,
    /** The error's ``details`` (for 422s: one problem per field). */
    readonly details: unknown = null
  ) {
    super(message);
  }

  /** The problems a 422 names, field by field. */
  get problems(): Problem[] {
    return Array.isArray(this.details)
      ? (this.details as Problem[]).filter(p => p && typeof p.message === 'string')
      : [];
  }
}

/** Run ids are long; people copy the 8-character prefix shown everywhere. */
const SHORT_ID = /^[A-Za-z0-9-]{4,63}$/;

function items<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[];
  const list = (data as { items?: unknown } | null)?.items;
  return Array.isArray(list) ? (list as T[]) : [];
}

export class OrcheoApi {
  readonly settings = ServerConnection.makeSettings();
  private catalogCache: Promise<CatalogEntry[]> | null = null;

  async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const url = URLExt.join(this.settings.baseUrl, 'orcheo/api', path);
    if (init.body && !init.headers) init.headers = { 'Content-Type': 'application/json' };
    const res = await ServerConnection.makeRequest(url, init, this.settings);
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!res.ok) {
      const err = (data as { error?: { message?: string; code?: string; details?: unknown } } | null)?.error;
      throw new ApiError(
        res.status,
        err?.message ?? `${res.status} ${res.statusText}`,
        err?.code ?? null,
        err?.details ?? null
      );
    }
    return data as T;
  }

  /** The templates gallery (name, title, description). */
  async templates(): Promise<TemplateSummary[]> {
    return items<TemplateSummary>(await this.request<unknown>('templates'));
  }

  /** A template's workflow document (no id: the caller gives it one). */
  template(name: string): Promise<WorkflowDocument> {
    return this.request<WorkflowDocument>(`templates/${encodeURIComponent(name)}`);
  }

  /** The node catalog (cached; an unreachable API yields an empty palette, not an error). */
  nodes(): Promise<CatalogEntry[]> {
    if (!this.catalogCache) {
      this.catalogCache = this.request<unknown>('nodes').then(items<CatalogEntry>, () => {
        this.catalogCache = null;
        return [];
      });
    }
    return this.catalogCache;
  }

  async workflows(): Promise<WorkflowSummary[]> {
    return items<WorkflowSummary>(await this.request('workflows?limit=100'));
  }

  workflow(id: string): Promise<WorkflowDetail> {
    return this.request(`workflows/${encodeURIComponent(id)}`);
  }

  /**
   * The stored workflow with this id (or slug), or null when there is none: asked
   * through the list (an empty page), so a document never stored costs no 404.
   */
  async storedWorkflow(id: string): Promise<WorkflowDetail | null> {
    const page = await this.request<unknown>(`workflows?limit=1&id=${encodeURIComponent(id)}`);
    if (!items<WorkflowSummary>(page).length) return null;
    try {
      return await this.workflow(id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null; // deleted in between
      throw err;
    }
  }

  async version(id: string, version: number): Promise<WorkflowDocument | null> {
    const v = await this.request<{ document?: WorkflowDocument }>(
      `workflows/${encodeURIComponent(id)}/versions/${version}`
    );
    return v.document ?? null;
  }

  /** The workflow's triggers as the server runs them (webhook address, next fires). */
  triggers(id: string): Promise<TriggersDetail> {
    return this.request(`workflows/${encodeURIComponent(id)}/triggers`);
  }

  /**
   * Store the document as a new version of workflow ``id``, created when missing in
   * the same request (``create=true``): no 404 to fall back from on a first run.
   * ``baseVersion`` is the version the edits were made from (0: none was stored); a
   * workflow stored by someone else since is a 409 ``version_conflict``.
   */
  upsert(id: string, doc: WorkflowDocument, baseVersion?: number): Promise<StoredWorkflow> {
    const body = JSON.stringify({ ...doc, id });
    const base = baseVersion === undefined ? '' : `&base_version=${baseVersion}`;
    return this.request(`workflows/${encodeURIComponent(id)}?create=true${base}`, { method: 'PUT', body });
  }

  /**
   * A new workflow made of a LangGraph script, stored as its version 1
   * (``POST /workflows/import-python``). The server checks the script and builds its
   * graph in a sandbox (seconds); a script it refuses is a 413 (too big) or a 422
   * whose ``details`` name each problem (``line N: ...`` when it has a line).
   */
  importPython(script: string, name: string, entrypoint?: string): Promise<StoredWorkflow> {
    const body: Record<string, string> = { script, name };
    if (entrypoint) body.entrypoint = entrypoint;
    return this.request('workflows/import-python', { method: 'POST', body: JSON.stringify(body) });
  }

  /**
   * Start a run of the latest version; ``comment`` is what a manual trigger may ask
   * for; ``options`` the nodes to pause before/after.
   */
  async execute(
    id: string,
    inputs: Record<string, unknown> = {},
    comment?: string,
    options?: RunOptions
  ): Promise<string> {
    const body: Record<string, unknown> = { inputs };
    if (comment !== undefined) body.comment = comment;
    if (options?.break_before.length) body.break_before = options.break_before;
    if (options?.break_after.length) body.break_after = options.break_after;
    const res = await this.request<{ execution_id: string }>(`workflows/${encodeURIComponent(id)}/execute`, {
      method: 'POST',
      body: JSON.stringify(body)
    });
    return res.execution_id;
  }

  /** The document's problems by the server's own rules (a document that does not parse: its 422 problems). */
  async validate(doc: WorkflowDocument): Promise<Problem[]> {
    const { id: _id, ...body } = doc;
    void _id;
    try {
      const res = await this.request<{ problems?: Problem[] }>('workflows/validate', {
        method: 'POST',
        body: JSON.stringify(body)
      });
      return res.problems ?? [];
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && err.problems.length) {
        return err.problems.map(p => ({ ...p, severity: 'error' as const }));
      }
      throw err;
    }
  }

  /** Orcheo's legacy JSON (top-level ``nodes``/``edges``) as the document the server makes of it. */
  async convertLegacy(data: unknown): Promise<{ document: WorkflowDocument; notices: string[] }> {
    const res = await this.request<{ document?: WorkflowDocument; notices?: string[] }>('workflows/validate', {
      method: 'POST',
      body: JSON.stringify(data)
    });
    if (!res.document) throw new Error('the server did not convert this file');
    return { document: res.document, notices: res.notices ?? [] };
  }

  /** Answer a run's pending interrupt; the run continues in the background. */
  async resume(runId: string, value: unknown): Promise<void> {
    await this.request(`executions/${encodeURIComponent(runId)}/resume`, {
      method: 'POST',
      body: JSON.stringify({ value })
    });
  }

  /**
   * The full id of a run given its id or a prefix of it (the short ids the UI shows);
   * throws an error that says what is wrong when there is no such run or several.
   */
  async resolveRun(id: string): Promise<string> {
    const text = id.trim();
    try {
      return (await this.execution(text)).id;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404 || !SHORT_ID.test(text)) {
        if (err instanceof ApiError && err.status === 404)
          throw new ApiError(404, `No run has the id ${JSON.stringify(text)}.`, 'not_found');
        throw err;
      }
    }
    const page = await this.request<{ items?: ExecutionSummary[]; total?: number }>(
      `executions?limit=2&id_prefix=${encodeURIComponent(text)}`
    );
    const found = page.items ?? [];
    if (found.length === 1) return found[0].id;
    if (!found.length) throw new ApiError(404, `No run has an id starting with ${JSON.stringify(text)}.`, 'not_found');
    throw new ApiError(
      409,
      `${page.total ?? 'Several'} runs have ids starting with ${JSON.stringify(text)}: paste more of the id.`,
      'ambiguous'
    );
  }

  async executions(workflowId?: string, limit = 20): Promise<ExecutionSummary[]> {
    const q = workflowId ? `&workflow_id=${encodeURIComponent(workflowId)}` : '';
    return items<ExecutionSummary>(await this.request(`executions?limit=${limit}${q}`));
  }

  execution(id: string): Promise<ExecutionSummary & Record<string, unknown>> {
    return this.request(`executions/${encodeURIComponent(id)}`);
  }

  async events(id: string, after = 0): Promise<{ items: RunEvent[]; done?: boolean; next_after?: number }> {
    const data = await this.request<unknown>(`executions/${encodeURIComponent(id)}/events?after=${after}`);
    return { ...(data as object), items: items<RunEvent>(data) };
  }

  /** The vault's credentials (metadata and health; values never leave the server). */
  async credentialList(): Promise<CredentialSummary[]> {
    return items<CredentialSummary>(await this.request<unknown>('credentials'));
  }

  /** Seal a new secret under ``name`` (referenced as ``[[name]]`` in node settings). */
  createCredential(name: string, value: string, description: string): Promise<CredentialSummary> {
    return this.request('credentials', { method: 'POST', body: JSON.stringify({ name, value, description }) });
  }

  /** Replace a credential's value; runs use the new one at once. */
  rotateCredential(name: string, value: string): Promise<CredentialSummary> {
    return this.request(`credentials/${encodeURIComponent(name)}/rotate`, {
      method: 'POST',
      body: JSON.stringify({ value })
    });
  }

  deleteCredential(name: string): Promise<null> {
    return this.request(`credentials/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }

  /** Credential names for the [[secret]] picker; empty when the vault API is absent. */
  async credentials(): Promise<string[]> {
    try {
      const data = await this.request<unknown>('credentials');
      return items<{ name?: string } | string>(data)
        .map(c => (typeof c === 'string' ? c : (c.name ?? '')))
        .filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Live events of a run (replayed from ``after``), closed by the server after the end. */
  socket(id: string, after = 0): WebSocket {
    let url = URLExt.join(this.settings.wsUrl, 'orcheo/ws/executions', encodeURIComponent(id)) + `?after=${after}`;
    const token = this.settings.token;
    if (token && this.settings.appendToken !== false) url += `&token=${encodeURIComponent(token)}`;
    return new this.settings.WebSocket(url);
  }

  /**
   * Follow a run: every event once, in order, over the WebSocket; falls back to
   * polling the events endpoint when the socket cannot be used.
   */
  follow(id: string, onEvent: (ev: RunEvent) => void, onEnd?: () => void): () => void {
    let last = 0;
    let stopped = false;
    let ws: WebSocket | null = null;
    const terminal = new Set(['run_finished', 'run_failed', 'run_cancelled']);
    let ended = false;
    const deliver = (ev: RunEvent): void => {
      if (ev.seq === null || ev.seq === undefined || ev.seq <= last) return;
      last = ev.seq;
      onEvent(ev);
      if (terminal.has(ev.type) && !ended) {
        ended = true;
        onEnd?.();
      }
    };
    const poll = async (): Promise<void> => {
      while (!stopped && !ended) {
        try {
          const page = await this.events(id, last);
          page.items.forEach(deliver);
          if (page.done) {
            if (!ended) {
              ended = true;
              onEnd?.();
            }
            return;
          }
        } catch {
          /* keep trying while the view is open */
        }
        await new Promise(r => setTimeout(r, 1000));
      }
    };
    try {
      ws = this.socket(id, 0);
      ws.onmessage = msg => {
        try {
          const ev = JSON.parse(String(msg.data)) as RunEvent & { type: string };
          if (ev.type !== 'error') deliver(ev);
        } catch {
          /* ignore a frame that is not JSON */
        }
      };
      ws.onclose = () => {
        if (!stopped && !ended) void poll();
      };
    } catch {
      void poll();
    }
    return () => {
      stopped = true;
      ws?.close();
    };
  }
}
