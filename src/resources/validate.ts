// The operator's validator: ajv runs the very schema the CRDs are generated from, with the
// JavaScript twins of the CEL rules, so the operator can check (and default) an object the
// way the API server does without asking it.
import { Ajv, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { fieldErrors, type FieldError } from './field-errors.ts';
import { kubernetesKeywords } from './kubernetes-keywords.ts';
import * as patterns from './schema/patterns.ts';
import { nodePoolSchema } from './schema/nodepool.ts';
import { pipelineRunSchema } from './schema/pipelinerun.ts';
import type { NodePool, PipelineRun } from './types.ts';

export type { FieldError } from './field-errors.ts';
export type ValidationResult = { ok: true } | { ok: false; errors: FieldError[] };

function ajv(useDefaults: boolean): Ajv {
  return new Ajv({
    allErrors: true,
    useDefaults,
    // A quantity's pattern sits beside its int-or-string anyOf, where the CRD needs it and
    // strictTypes objects to it; the structural-schema test checks every node's type instead.
    strictTypes: false,
    keywords: kubernetesKeywords,
    // The OpenAPI formats the schema uses; int32/int64 ranges are left to minimum/maximum.
    formats: { 'date-time': new RegExp(patterns.rfc3339, 'u'), int32: true, int64: true },
  });
}

/**
 * Compiled on first use: each compiled validator costs megabytes of generated code, and the
 * operator itself only ever checks PipelineRuns (the rest serve tests and tools).
 */
function lazy<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

const checking = lazy(() => ajv(false));
const defaulting = lazy(() => ajv(true));

function validator(schema: TSchema): (obj: unknown) => ValidationResult {
  const compiled = lazy((): ValidateFunction => checking().compile(schema));
  return (obj) => {
    const check = compiled();
    return check(obj) ? { ok: true } : { ok: false, errors: fieldErrors(check.errors ?? [], obj) };
  };
}

function defaulter<T>(schema: TSchema): (obj: T) => T {
  const compiled = lazy(() => defaulting().compile(schema));
  return (obj) => {
    const copy = structuredClone(obj);
    compiled()(copy);
    return copy;
  };
}

/** Checks a PipelineRun (spec and status) as the API server would. Never throws. */
export const validatePipelineRun = validator(pipelineRunSchema);

/** Checks a NodePool (spec and status) as the API server would. Never throws. */
export const validateNodePool = validator(nodePoolSchema);

/** A copy of the run with the schema's defaults filled in, as the API server stores it. */
export const withPipelineRunDefaults: (run: PipelineRun) => PipelineRun = defaulter(pipelineRunSchema);

/** A copy of the pool with the schema's defaults filled in, as the API server stores it. */
export const withNodePoolDefaults: (pool: NodePool) => NodePool = defaulter(nodePoolSchema);
