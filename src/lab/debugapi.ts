/**
 * The debug loop's REST routes (checkpoints, forks, breakpoints, versions), kept
 * beside the core client so the run viewer's other tabs can grow independently.
 */

import { OrcheoApi, StoredWorkflow } from './api';

export interface CheckpointSummary {
  checkpoint_id: string;
  step: number | null;
  /** The nodes that run next from here (empty: the run's end). */
  next: string[];
  created_at: string | null;
  results: unknown;
}

export interface CheckpointDetail extends CheckpointSummary {
  /** The whole state at this checkpoint. */
  values: Record<string, unknown>;
}

export interface VersionSummary {
  workflow_id: string;
  version: number;
  checksum?: string;
  created_at?: string;
}

export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
  text_diff?: string;
}

export interface DiffSection {
  added: Record<string, unknown>[];
  removed: Record<string, unknown>[];
  changed?: (Record<string, unknown> & { changes: FieldChange[] })[];
}

export interface VersionDiff {
  workflow_id: string;
  from_version: number;
  to_version: number;
  nodes: DiffSection;
  edges: DiffSection;
  conditional_edges: DiffSection;
  triggers: DiffSection;
  document: FieldChange[];
  layout_changed: boolean;
  summary: string;
}

const enc = encodeURIComponent;

/** The run's checkpoints, newest first. */
export async function checkpoints(api: OrcheoApi, runId: string): Promise<CheckpointSummary[]> {
  const page = await api.request<{ items?: CheckpointSummary[] }>(`executions/${enc(runId)}/checkpoints`);
  return page.items ?? [];
}

export function checkpoint(api: OrcheoApi, runId: string, checkpointId: string): Promise<CheckpointDetail> {
  return api.request<CheckpointDetail>(`executions/${enc(runId)}/checkpoints/${enc(checkpointId)}`);
}

/** A new run from ``checkpointId`` with ``patch`` applied to its state; the new run's id. */
export async function fork(
  api: OrcheoApi,
  runId: string,
  checkpointId: string,
  patch: Record<string, unknown>
): Promise<string> {
  const body: Record<string, unknown> = { checkpoint_id: checkpointId };
  if (Object.keys(patch).length) body.state_patch = patch;
  const res = await api.request<{ execution_id: string }>(`executions/${enc(runId)}/rerun`, {
    method: 'POST',
    body: JSON.stringify(body)
  });
  return res.execution_id;
}

/** Continue a run paused at a breakpoint (a breakpoint takes no answer). */
export async function continueRun(api: OrcheoApi, runId: string): Promise<void> {
  await api.request(`executions/${enc(runId)}/resume`, { method: 'POST', body: JSON.stringify({ value: null }) });
}

/** The workflow's versions, oldest first. */
export async function versions(api: OrcheoApi, workflowId: string): Promise<VersionSummary[]> {
  const page = await api.request<{ items?: VersionSummary[] }>(`workflows/${enc(workflowId)}/versions`);
  return page.items ?? [];
}

export function diff(api: OrcheoApi, workflowId: string, from: number, to: number): Promise<VersionDiff> {
  return api.request<VersionDiff>(`workflows/${enc(workflowId)}/versions/${from}/diff/${to}`);
}

/**
 * Make ``version`` current again; the server stores it as a new version (history is
 * kept). ``baseVersion`` is the latest the user saw: a version stored by someone else
 * since is a 409 ``version_conflict`` and nothing is stored.
 */
export function restore(
  api: OrcheoApi,
  workflowId: string,
  version: number,
  baseVersion?: number
): Promise<StoredWorkflow & { restored_from: number }> {
  const base = baseVersion === undefined ? '' : `?base_version=${baseVersion}`;
  return api.request(`workflows/${enc(workflowId)}/versions/${version}/restore${base}`, { method: 'POST' });
}
