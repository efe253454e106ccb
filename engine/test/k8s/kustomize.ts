/**
 * `kubectl kustomize DIR`: the real kustomize (v5, in Debian's kubectl, installed by
 * scripts/ensure-test-env.sh like Chromium), so the tests read exactly what `kubectl apply -k`
 * would send. A missing kubectl fails the tests with the command that installs it.
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string };
}

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const describe = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;

function toK8sObject(doc: unknown, source: string): K8sObject {
  if (
    !isObject(doc) ||
    typeof doc.apiVersion !== 'string' ||
    typeof doc.kind !== 'string' ||
    !isObject(doc.metadata) ||
    typeof doc.metadata.name !== 'string'
  )
    throw new Error(`${source}: an object without apiVersion, kind or metadata.name`);
  return doc as K8sObject;
}

/** The objects `kubectl kustomize dir` builds, in its order. */
export function kustomizeBuild(dir: string): K8sObject[] {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT')
      throw new Error('kubectl is not installed: run `apt-get install -y kubectl` (or npm test, which does)');
    throw new Error(`kubectl kustomize ${dir} failed: ${stderr ?? String(error)}`);
  }
  return parseAllDocuments(output)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${doc.errors[0]!.message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc) => toK8sObject(doc, dir));
}
