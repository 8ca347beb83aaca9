/**
 * The canvas's debug loop in the Lab: node tests, runs and template previews
 * through the REST API (``/workflows/{id}/nodes/{node}/test|preview``). The
 * document under edit is tested as it is, unsaved; nothing is stored.
 */

import {
  DebugError,
  DebugHost,
  JSONValue,
  NodeTestResult,
  RunChoice,
  TemplatePreview,
  WorkflowDocument
} from '../canvas/types';
import { ApiError, OrcheoApi } from './api';

const NOT_STORED = 'This workflow has not run yet: run it (Run) so its nodes have an input to test on.';

function asDebugError(err: unknown): DebugError {
  if (err instanceof ApiError) {
    if (err.status === 404 && err.code === 'not_found' && /^workflow .* not found$/.test(err.message))
      return new DebugError(NOT_STORED, err.code);
    return new DebugError(err.message, err.code, err.problems);
  }
  return new DebugError(err instanceof Error ? err.message : String(err));
}

/**
 * ``workflowId`` gives the id the document is stored under (it may change with a
 * rename); ``stored`` says whether workflow ``id`` is stored (undefined: not known).
 * A workflow no Run has stored yet is still asked: the server tests the document
 * sent, where the nodes it starts at need no run; for the others it says to run.
 */
export function labDebugHost(
  api: OrcheoApi,
  workflowId: (doc: WorkflowDocument) => string,
  stored: (id: string) => Promise<boolean | undefined> = () => Promise.resolve(undefined)
): DebugHost {
  // No run of a workflow never stored: "run it (Run)", not the API's "send a state".
  const noInput = async (id: string, err: DebugError): Promise<DebugError> =>
    err.code === 'no_input' && (await stored(id)) === false ? new DebugError(NOT_STORED, err.code) : err;
  const node = (doc: WorkflowDocument, id: string, what: string): string =>
    `workflows/${encodeURIComponent(workflowId(doc))}/nodes/${encodeURIComponent(id)}/${what}`;
  return {
    async runs(doc: WorkflowDocument): Promise<RunChoice[]> {
      const runs = await api.executions(workflowId(doc), 20);
      return runs.map(r => ({ id: r.id, status: r.status, at: r.started_at ?? r.created_at ?? null }));
    },
    async testNode(doc: WorkflowDocument, id: string, runId: string | null, runNode?: string): Promise<NodeTestResult> {
      const wid = workflowId(doc);
      const body: Record<string, unknown> = { document: { ...doc, id: wid } };
      if (runId) body.run_id = runId;
      if (runNode) body.run_node = runNode;
      try {
        return await api.request<NodeTestResult>(node(doc, id, 'test'), { method: 'POST', body: JSON.stringify(body) });
      } catch (err) {
        throw await noInput(wid, asDebugError(err));
      }
    },
    async preview(
      doc: WorkflowDocument,
      id: string,
      value: JSONValue,
      runId: string | null,
      includeState: boolean,
      field: string | (string | null)[] | null = null,
      runNode?: string
    ): Promise<TemplatePreview> {
      const wid = workflowId(doc);
      // The document as edited: a node added or renamed since the last save is looked up in it.
      const body: Record<string, unknown> = { value, include_state: includeState, document: { ...doc, id: wid } };
      if (runId) body.run_id = runId;
      if (field !== null) body.field = field;
      if (runNode) body.run_node = runNode;
      let res: TemplatePreview;
      try {
        res = await api.request<TemplatePreview>(node(doc, id, 'preview'), {
          method: 'POST',
          body: JSON.stringify(body)
        });
      } catch (err) {
        throw asDebugError(err);
      }
      // No run reached the node yet: said where the preview goes, as the kernel says it.
      if (res.no_input) throw await noInput(wid, new DebugError(res.no_input, 'no_input'));
      return res;
    }
  };
}
