import type { Verdict, FlagValue } from '../model/model';

export interface Loc {
  line: number; // 1-based
  col: number; // 1-based, in bytes
  endLine: number;
  endCol: number;
}

export interface RelatedLoc extends Loc {
  message: string;
  /** Another file (whole-tree facts); same file when absent. */
  file?: string;
  /** The branches taken and gotos followed on the failure path from the allocation to here (the last 16), for reports that draw it. */
  steps?: { line: number; col: number; taken: boolean; jump?: boolean }[];
}

/** Everything the analysis knows about one allocation call: the input of every rule. */
export interface SiteFacts {
  /** The call. */
  loc: Loc;
  function: string;
  allocator: string;
  /** The flags argument as written (or the allocator's fixed behaviour). */
  flags: string;
  flagNames: string[];
  /** Byte range of the flags argument, for fixes. */
  flagsRange?: [number, number];
  flagValue?: FlagValue;
  family: string;
  verdict: Verdict;
  /** Where the result is stored, if anywhere. */
  lvalue?: string;
  /** Resources held at the call on every path to it. */
  heldAtCall: { what: string; kind: string; forbidsSleep?: boolean; forbidsAlloc?: boolean }[];
  /** The failure path crosses code tree-sitter could not parse. */
  lowConfidence: boolean;
  /** Reached through a wrapper or macro: name of the callee actually invoked. */
  via?: string;
  /** First and last line of the enclosing function definition (for reports that show its source). */
  fnLines?: [number, number];
  /** What happens on the path where the allocation returned NULL. */
  failure: {
    deref?: RelatedLoc;
    panic?: RelatedLoc;
    leaks: (RelatedLoc & { resources: string[] })[];
    reallocLost?: boolean;
    /** The first NULL test on any path (for dead-test notes). */
    nullTest?: RelatedLoc;
    /** Some path tests the result. */
    tested: boolean;
    /** Whole-tree: the result is stored in a field that other functions dereference untested. */
    fieldDeref?: RelatedLoc[];
  };
  /** Extra facts attached by whole-tree analysis or context inference. */
  extra?: Record<string, unknown>;
}

export interface Diagnostic {
  file: string;
  level: 'error' | 'warning' | 'note';
  message: string;
}

export interface FileResult {
  file: string;
  sites: SiteFacts[];
  diagnostics: Diagnostic[];
  /** Parse statistics. */
  parse: { bytes: number; errorNodes: boolean; functions: number; /** The line of the first ERROR or MISSING node, when errorNodes. */ errorLine?: number };
  /** Context-inference facts of the file (src/context/extract.ts), when asked for. */
  context?: import('../context/extract').FileContext;
  /** A hash of `context` (src/cache/contextmemo.ts keys the resolved contexts by these). */
  contextHash?: string;
  /** Source lines of the sites, for text output without re-reading. */
  lines: Record<number, string>;
  /** Inline suppression comments found in the file (src/workflow/suppress.ts). */
  suppressions?: import('../workflow/suppress').Suppression[];
}
