/**
 * Types of the workflow document (mirrors orcheo_jupyter/spec/models.py) and of
 * the messages the canvas exchanges with its host (Python widget or Lab document).
 */

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

export interface CanvasLayout {
  positions: Record<string, Position>;
  viewport?: Viewport | null;
  comments: JSONValue[];
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
  | { op: 'set_meta'; name?: string; description?: string };

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
  /** Start a run of the current document; absent when the host cannot run. */
  run?: () => void;
  /** Open the run viewer for a run (Lab); absent where there is none. */
  openRun?: (id: string) => void;
  /**
   * The document's problems by the server's rules; when given, they replace the
   * canvas's own structural checks (so the canvas and the server never disagree).
   */
  validate?: (doc: WorkflowDocument) => Promise<Problem[]>;
}
