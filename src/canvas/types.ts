/**
 * Types of the workflow document (mirrors orcheo_jupyter/spec/models.py) and of
 * the messages the canvas exchanges with its host (Python widget or Lab document).
 */

import type { CodeFieldFactory } from './code';

export type JSONValue = null | boolean | number | string | JSONValue[] | JSONObject;
export interface JSONObject {
  [key: string]: JSONValue;
}

export const START = '__start__';
export const END = '__end__';

export interface RetryPolicy {
  max_attempts?: number;
  initial_interval?: number;
  backoff_factor?: number;
  max_interval?: number;
}

interface NodeBase {
  id: string;
  retry?: RetryPolicy | null;
  timeout?: number | null;
}

export interface BuiltinNode extends NodeBase {
  kind: 'builtin';
  type: string;
  config: JSONObject;
}

export interface CodeNode extends NodeBase {
  kind: 'code';
  config: JSONObject;
  injected: string[];
  body: string;
}

export interface SubgraphNode extends NodeBase {
  kind: 'subgraph';
  graph: GraphIR;
}

export type IRNode = BuiltinNode | CodeNode | SubgraphNode;

export interface Edge {
  source: string;
  target: string;
}

export interface Routing {
  path: string;
  mapping: Record<string, string>;
  default?: string | null;
}

export interface ConditionalEdge extends Routing {
  source: string;
}

export interface GraphIR {
  schema_version: 1;
  state_ref: string;
  entrypoint?: string | null;
  nodes: IRNode[];
  edges: Edge[];
  conditional_edges: ConditionalEdge[];
}

export interface FrozenIRGraph {
  format: 'frozen-ir';
  entrypoint?: string | null;
  ir: GraphIR;
}

export interface ScriptGraph {
  format: 'langgraph-script';
  source: string;
  entrypoint?: string | null;
  index: { nodes: string[]; edges: Edge[]; conditional_edges: ConditionalEdge[] };
}

export interface Position {
  x: number;
  y: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** A sticky note on the canvas (layout only: it never changes what a workflow does). */
export interface CanvasComment {
  id: string;
  text: string;
  x: number;
  y: number;
}

export interface CanvasLayout {
  positions: Record<string, Position>;
  viewport?: Viewport | null;
  comments: CanvasComment[];
}

export interface WorkflowDocument {
  id?: string | null;
  name: string;
  description?: string;
  tags?: string[];
  inputs_schema?: JSONObject;
  triggers?: JSONValue[];
  canvas: CanvasLayout;
  graph: FrozenIRGraph | ScriptGraph;
  /** Node id -> output used instead of running the node (runs by hand and node tests). */
  pinned?: Record<string, JSONValue>;
}

/** One entry of the node catalog (GET /orcheo/api/nodes or registry.catalog()). */
export interface CatalogEntry {
  type: string;
  category: string;
  description: string;
  icon: string;
  trigger: boolean;
  config_schema: JSONObject;
}

/** A validation finding (orcheo_jupyter.spec.problems.Problem.as_dict()). */
export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  node?: string | null;
  field?: string | null;
}

/** One run event (EventRecord.as_dict() / WebSocket message). */
export interface RunEvent {
  run_id?: string;
  seq: number;
  type: string;
  at: string;
  node?: string | null;
  data: { [key: string]: unknown };
}

/** A small change to the document; the unit of sync, undo and validation. */
export type Diff =
  | { op: 'add_node'; node: IRNode; position?: Position | null; index?: number }
  | { op: 'remove_node'; id: string }
  | { op: 'rename_node'; id: string; new_id: string }
  | { op: 'set_config'; id: string; config: JSONObject }
  | { op: 'update_node'; id: string; fields: NodeFields }
  | { op: 'move'; positions: Record<string, Position | null> }
  | { op: 'add_edge'; source: string; target: string; index?: number }
  | { op: 'remove_edge'; source: string; target: string }
  | { op: 'set_conditional_edge'; source: string; edge: Routing | null; index?: number }
  | { op: 'set_entrypoint'; id: string | null }
  | { op: 'set_viewport'; viewport: Viewport | null }
  | { op: 'set_comment'; id: string; comment: { text: string; x: number; y: number } | null; index?: number }
  | { op: 'set_meta'; name?: string; description?: string }
  | { op: 'set_pin'; id: string; output: JSONValue }
  | { op: 'remove_pin'; id: string };

/** Node members other than id/kind/config that the property panel edits. */
export interface NodeFields {
  body?: string;
  injected?: string[];
  retry?: RetryPolicy | null;
  timeout?: number | null;
}

/** What the canvas needs from whoever owns the document. */
export interface CanvasHost {
  /** Apply a user's edit; resolve when accepted, reject with a message when refused. */
  apply(diffs: Diff[]): Promise<void>;
  /** Credential names for the [[secret]] picker (empty when unknown). */
  credentials(): Promise<string[]>;
  /** Save the document (Ctrl+S); absent when the surrounding app saves. */
  save?: () => void;
  /** Start a run of the current document (pausing at its breakpoints); absent when the host cannot run. */
  run?: (options?: RunOptions) => void;
  /** Open the run viewer for a run (Lab); absent where there is none. */
  openRun?: (id: string) => void;
  /**
   * The document's problems by the server's rules; when given, they replace the
   * canvas's own structural checks (so the canvas and the server never disagree).
   */
  validate?: (doc: WorkflowDocument) => Promise<Problem[]>;
  /** Test a node, list runs, preview templates (the debug loop); absent where nothing can run. */
  debug?: DebugHost;
  /** Continue a run paused at a breakpoint (its events keep coming to the canvas). */
  continueRun?: (runId: string) => void;
  /** The editor for code node bodies (a text area when absent). */
  codeField?: CodeFieldFactory;
}

/** What a run started from the canvas carries besides its inputs. */
export interface RunOptions {
  break_before: string[];
  break_after: string[];
}

/** A run a node can be tested on (newest first). */
export interface RunChoice {
  id: string;
  status: string;
  at?: string | null;
}

/** Where a node's input state came from (the server's ``state_source``). */
export interface StateSource {
  kind: string;
  run_id?: string;
  checkpoint_id?: string;
}

/** One node run alone (POST .../nodes/{node}/test). */
export interface NodeTestResult {
  node: string;
  output: JSONValue;
  error: string | null;
  duration_ms: number;
  pinned: boolean;
  state_source?: StateSource;
}

/** Templates resolved against a node's input (POST .../nodes/{node}/preview). */
export interface TemplatePreview {
  value: JSONValue;
  unresolved: string[];
  state_source?: StateSource;
  state?: JSONObject | null;
}

/**
 * The debug loop as a host offers it: ``runId`` null means the latest run that
 * reached the node. Failures reject with a DebugError (message, and the problems
 * of a refused document).
 */
export interface DebugHost {
  runs(doc: WorkflowDocument): Promise<RunChoice[]>;
  testNode(doc: WorkflowDocument, node: string, runId: string | null): Promise<NodeTestResult>;
  preview(
    doc: WorkflowDocument,
    node: string,
    value: JSONValue,
    runId: string | null,
    includeState: boolean
  ): Promise<TemplatePreview>;
}

/** Why a debug request failed, with the problems of a document the host refused. */
export class DebugError extends Error {
  constructor(
    message: string,
    readonly code: string | null = null,
    readonly problems: Problem[] = []
  ) {
    super(message);
  }
}
