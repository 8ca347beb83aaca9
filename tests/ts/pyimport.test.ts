import { describe, expect, it } from 'vitest';

import {
  freeWorkflowFile,
  graphChoices,
  isScript,
  MAX_NAME,
  refusal,
  scriptStem,
  workflowName
} from '../../src/lab/pyimport';

describe('names of an imported script', () => {
  it('takes the stem of the file, in any folder', () => {
    expect(scriptStem('flows/etl.py')).toBe('etl');
    expect(scriptStem('my.graph.py')).toBe('my.graph');
    expect(scriptStem('Build.PY')).toBe('Build');
    expect(scriptStem('.py')).toBe('workflow');
  });

  it('names the workflow after the stem, as long as the server takes', () => {
    expect(workflowName('a/b/pipeline.py')).toBe('pipeline');
    expect(workflowName(`${'x'.repeat(250)}.py`)).toHaveLength(MAX_NAME);
  });

  it('offers only Python files', () => {
    expect(isScript('a/flow.py')).toBe(true);
    expect(isScript('flow.pyc')).toBe(false);
    expect(isScript('flow.orcheo.json')).toBe(false);
    expect(isScript('py')).toBe(false);
  });
});

describe('freeWorkflowFile', () => {
  it('is <stem>.orcheo.json in a folder without it', () => {
    expect(freeWorkflowFile('flow', ['flow.py', 'other.orcheo.json'])).toBe('flow.orcheo.json');
  });

  it('never takes a name the folder holds: -1, -2... in turn', () => {
    expect(freeWorkflowFile('flow', ['flow.py', 'flow.orcheo.json'])).toBe('flow-1.orcheo.json');
    expect(freeWorkflowFile('flow', ['flow.orcheo.json', 'flow-1.orcheo.json', 'flow-3.orcheo.json'])).toBe(
      'flow-2.orcheo.json'
    );
  });

  it('compares names without case (a case-insensitive disk would overwrite)', () => {
    expect(freeWorkflowFile('flow', ['Flow.orcheo.json'])).toBe('flow-1.orcheo.json');
  });
});

describe('refusal', () => {
  const script = 'from langgraph.graph import StateGraph\nimport os\n\nx = 1\n';

  it('gives each problem of a 422 and the script line the first one names', () => {
    const err = {
      status: 422,
      message: "error: graph.source: line 2: import of 'os' is not allowed (allowed: json, math)",
      details: [
        {
          severity: 'error',
          code: 'import_not_allowed',
          message: "line 2: import of 'os' is not allowed (allowed: json, math)",
          node: null,
          field: 'graph.source'
        }
      ]
    };
    expect(refusal(err, script)).toEqual({
      messages: ["line 2: import of 'os' is not allowed (allowed: json, math)"],
      line: 2,
      code: 'import os'
    });
  });

  it("reads RestrictedPython's capitalised line too, and scripts with CRLF line ends", () => {
    const err = {
      status: 422,
      message: 'x',
      details: [{ message: 'Line 3: "__class__" is an invalid attribute name because it starts with "_".' }]
    };
    expect(refusal(err, 'a = 1\r\nb = 2\r\nx = ().__class__\r\n')).toMatchObject({ line: 3, code: 'x = ().__class__' });
  });

  it('names no line when no problem has one', () => {
    const err = {
      status: 422,
      message: 'error: graph.source: script raised ValueError: boom',
      details: [{ message: 'script raised ValueError: boom' }]
    };
    expect(refusal(err, script)).toEqual({ messages: ['script raised ValueError: boom'], line: null, code: '' });
  });

  it('tells a 413 (details are not problems) and other errors by their message', () => {
    const tooBig = {
      status: 413,
      message: 'script is 140,000 bytes after UTF-8 encoding; the limit is 131,072 bytes (128 KiB)',
      details: { size: 140000, limit: 131072 }
    };
    expect(refusal(tooBig, script).messages).toEqual([tooBig.message]);
    expect(refusal(new TypeError('Failed to fetch'), script)).toEqual({
      messages: ['Failed to fetch'],
      line: null,
      code: ''
    });
  });

  it('shows no code for a line past the end of the script', () => {
    const err = { message: 'm', details: [{ message: 'line 40: syntax error: unexpected EOF' }] };
    expect(refusal(err, script)).toMatchObject({ line: 40, code: '' });
  });
});

describe('graphChoices', () => {
  it('lists the graphs of a script refused for defining several', () => {
    const err = {
      status: 422,
      message: 'x',
      details: [
        {
          message:
            'script defines 3 graphs (first, build_second, third); define orcheo_workflow() or name an entrypoint'
        }
      ]
    };
    expect(graphChoices(refusal(err, ''))).toEqual(['first', 'build_second', 'third']);
  });

  it('offers nothing for any other refusal, or a script with no graph', () => {
    const none = {
      message: 'm',
      details: [{ message: 'script defines 0 graphs; define orcheo_workflow() or name an entrypoint' }]
    };
    expect(graphChoices(refusal(none, ''))).toEqual([]);
    const other = { message: 'm', details: [{ message: "line 2: import of 'os' is not allowed" }] };
    expect(graphChoices(refusal(other, ''))).toEqual([]);
  });
});
