import { describe, expect, it } from 'vitest';

import { inputFieldErrors, inputsSchema } from '../../src/canvas/inputs';
import { Problem, WorkflowDocument } from '../../src/canvas/types';

const problem = (field: string | null, message: string): Problem => ({
  severity: 'error',
  code: 'inputs',
  message,
  node: null,
  field
});

describe('inputFieldErrors', () => {
  it('puts each problem about the inputs beside its field and joins two on one field', () => {
    expect(
      inputFieldErrors([
        problem('inputs.count', '0 is less than the minimum of 1'),
        problem('inputs.tags.0', 'expected a string'),
        problem('inputs.count', 'expected an integer'),
        problem('inputs', "'name' is a required property")
      ])
    ).toEqual({
      count: '0 is less than the minimum of 1; expected an integer',
      tags: 'expected a string',
      '': "'name' is a required property"
    });
  });

  it('is null when no problem is about the inputs', () => {
    expect(inputFieldErrors([problem('config.recursion_limit', 'too big'), problem(null, 'x')])).toBeNull();
    expect(inputFieldErrors([problem('inputsx', 'not an input')])).toBeNull();
  });
});

describe('inputsSchema', () => {
  const script = (inputs_schema?: Record<string, unknown>): WorkflowDocument =>
    ({
      name: 's',
      inputs_schema,
      canvas: { positions: {}, comments: [] },
      graph: { format: 'langgraph-script', source: '', index: { nodes: ['a'], edges: [], conditional_edges: [] } }
    }) as unknown as WorkflowDocument;

  it('asks a script that declares no inputs for one JSON object of any keys', () => {
    const schema = inputsSchema(script());
    expect(schema).toMatchObject({ type: 'object', 'x-orcheo-any-keys': true });
    expect(schema).not.toHaveProperty('properties');
    expect(inputsSchema(script({ type: 'object' }))).toMatchObject({ 'x-orcheo-any-keys': true });
  });

  it('asks a script that declares its inputs for those', () => {
    const declared = { type: 'object', properties: { count: { type: 'integer' } } };
    expect(inputsSchema(script(declared))).toBe(declared);
  });
});
