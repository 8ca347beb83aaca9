/**
 * Types of the workflow document and of the messages the canvas exchanges with its
 * host (Python widget or Lab document).
 *
 * The document's types come from schema/workflow.schema.json (generated from
 * orcheo_jupyter/spec/models.py) through schema.gen.ts; this module only says which
 * members a document the canvas holds always has (Python writes every member with a
 * default; normalize() fills the ones a hand-written file may omit).
 */

import type { CodeFieldFactory } from './code';
import type { JSONObject, JSONValue } from './json';
import type * as Edits from './edits.gen';
import type * as Schema from './schema.gen';

export type { JSONObject, JSONValue } from './json';

export const START = '__start__';
export const END = '__end__';

/** ``T`` with the members ``K`` always present. */
type Filled<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

export type RetryPolicy = Schema.RetryPolicy;
export type Edge = Schema.Edge;
export type Position = Schema.Position;
export type Trigger = Schema.Trigger;
export type Viewport = Filled<Schema.Viewport, 'x' | 'y' | 'zoom'>;
/** A sticky note on the canvas (layout only: it never changes what a workflow does). */
export type CanvasComment = Filled<Schema.Comment, 'x' | 'y'>;

export type BuiltinNode = Filled<Schema.BuiltinNode, 'kind' | 'config'>;
export type CodeNode = Filled<Schema.CodeNode, 'kind' | 'config' | 'injected'>;
export type SubgraphNode = Omit<Filled<Schema.SubgraphNode, 'kind'>, 'graph'> & { graph: GraphIR };
export type IRNode = BuiltinNode | CodeNode | SubgraphNode;

export type ConditionalEdge = Filled<Schema.ConditionalEdge, 'mapping'>;
/** A conditional edge without its source (what ``set_conditional_edge`` carries). */
export type Routing = Omit<ConditionalEdge, 'source'>;

export type GraphIR = Omit<
  Filled<Schema.GraphIR, 'schema_version' | 'state_ref' | 'edges'>,
  'nodes' | 'conditional_edges'
> & { nodes: IRNode[]; conditional_edges: ConditionalEdge[] };

export type FrozenIRGraph = Omit<Filled<Schema.FrozenIRGraph, 'format'>, 'ir'> & { ir: GraphIR };

export type ScriptIndex = Omit<Filled<Schema.ScriptIndex, 'nodes' | 'edges'>, 'conditional_edges'> & {
  conditional_edges: ConditionalEdge[];
};
export type ScriptGraph = Omit<Filled<Schema.ScriptGraph, 'format'>, 'index'> & { index: ScriptIndex };

export type CanvasLayout = Omit<Filled<Schema.Canvas, 'positions'>, 'comments' | 'viewport'> & {
  comments: CanvasComment[];
  viewport?: Viewport | null;
};

export type WorkflowDocument = Omit<Schema.WorkflowDocument, 'canvas' | 'graph'> & {
  canvas: CanvasLayout;
  graph: FrozenIRGraph | ScriptGraph;
};

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

/**
 * A small change to the document; the unit of sync, undo and validation. The shapes are
 * the edit engine's (schema/edits.schema.json, generated into edits.gen.ts); a node the
 * canvas adds is a full one.
 */
export type Diff = (Omit<Edits.AddNode, 'node'> & { node: IRNode }) | Exclude<Edits.Edit, Edits.AddNode>;

/** Node members other than id/kind/config that the property panel edits. */
export type NodeFields = Edits.NodeFields;

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
  /** Answer the question an interrupted run waits on (the notebook widget: in the kernel). */
  answerRun?: (runId: string, value: JSONValue) => void;
  /** The editor for code node bodies (a text area when absent). */
  codeField?: CodeFieldFactory;
  /** What a trigger node is doing on the server (its webhook address, next fire); absent where nothing serves triggers. */
  triggerStatus?: (nodeId: string) => Promise<TriggerStatus>;
}

/** A trigger node as the server runs it, in rows a person reads. */
export interface TriggerStatus {
  /** A label and its value; ``copy`` offers a button that copies the value. */
  rows: { label: string; value: string; copy?: boolean }[];
  /** Why the trigger is not live, or what to know about it. */
  note?: string;
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
  /** Why a field the node renders itself shows no value (one per item of a list value). */
  notes?: string | (string | null)[] | null;
  /** Why nothing was resolved: no run reached the node yet (a state, not an error). */
  no_input?: string | null;
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
  /** ``runNode``: the node's id in that run, when renamed since (its input is looked up under it). */
  testNode(doc: WorkflowDocument, node: string, runId: string | null, runNode?: string): Promise<NodeTestResult>;
  preview(
    doc: WorkflowDocument,
    node: string,
    value: JSONValue,
    runId: string | null,
    includeState: boolean,
    /** The config field of ``value`` (one per item of a list): a Template node's Jinja is rendered as the node does. */
    field?: string | (string | null)[] | null,
    runNode?: string
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
