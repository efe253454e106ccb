/**
 * A small, offline kustomize: enough of `kustomize build` for the features
 * k8s/base and k8s/overlays use, so the tests need no Go binary and no network.
 *
 * Supported kustomization fields: resources (files and directories), namespace,
 * labels (includeSelectors must be false), commonAnnotations, images, replicas,
 * configMapGenerator (envs, files, literals; behavior create/merge/replace),
 * generatorOptions.labels, patches (strategic-merge patches by path or inline,
 * JSON6902 patches with a target). Any other field makes the build throw, so a
 * kustomization can never use something this builder silently ignores.
 *
 * Differences from kustomize that do not matter to the tests: the name-hash
 * suffix of generated ConfigMaps is a sha256 prefix (kustomize encodes its hash
 * differently), and objects come out in resource order.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string };
}

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'commonAnnotations',
  'images',
  'replicas',
  'configMapGenerator',
  'generatorOptions',
  'patches',
]);

interface Accumulated {
  objects: K8sObject[];
  /** ConfigMaps made by a configMapGenerator: they get a content-hash suffix at the end. */
  generated: Set<K8sObject>;
}

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function asObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what}: expected a mapping`);
  return value;
}

function asArray(value: unknown, what: string): Json[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`);
  return value as Json[];
}

function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string`);
  return value;
}

const clone = <T>(value: T): T => structuredClone(value);

function toK8sObject(doc: unknown, source: string): K8sObject {
  const object = asObject(doc, source);
  const metadata = asObject(object.metadata, `${source}: metadata`);
  asString(object.apiVersion, `${source}: apiVersion`);
  asString(object.kind, `${source}: kind`);
  asString(metadata.name, `${source}: metadata.name`);
  return object as K8sObject;
}

export const describe = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;

/** Reads every YAML document of a manifest file (empty documents skipped). */
export function loadManifestFile(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc) => toK8sObject(doc, file));
}

/** `kustomize build DIR`, offline. */
export function kustomizeBuild(dir: string): K8sObject[] {
  const { objects, generated } = accumulate(resolve(dir));
  applyNameHashes(objects, generated);
  return objects;
}

function readKustomization(dir: string): JsonObject {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
    .map((name) => join(dir, name))
    .find((path) => existsSync(path));
  if (!file) throw new Error(`${dir}: no kustomization.yaml`);
  const kustomization = asObject(parse(readFileSync(file, 'utf8')), file);
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED_FIELDS.has(key))
      throw new Error(`${file}: field "${key}" is not supported by the offline builder`);
  }
  if (kustomization.kind !== 'Kustomization') throw new Error(`${file}: kind must be Kustomization`);
  return kustomization;
}

function accumulate(dir: string): Accumulated {
  const k = readKustomization(dir);
  const acc: Accumulated = { objects: [], generated: new Set() };

  for (const entry of asArray(k.resources, 'resources')) {
    const path = resolve(dir, asString(entry, 'resources[]'));
    if (!existsSync(path)) throw new Error(`${dir}: resource ${String(entry)} does not exist`);
    if (statSync(path).isDirectory()) {
      const sub = accumulate(path);
      acc.objects.push(...sub.objects);
      for (const g of sub.generated) acc.generated.add(g);
    } else {
      acc.objects.push(...loadManifestFile(path));
    }
  }

  generateConfigMaps(dir, k, acc);

  for (const [index, entry] of asArray(k.patches, 'patches').entries()) {
    applyPatchEntry(dir, asObject(entry, `patches[${index}]`), acc.objects);
  }

  for (const entry of asArray(k.labels, 'labels')) {
    const spec = asObject(entry, 'labels[]');
    if (spec.includeSelectors === true)
      throw new Error('labels.includeSelectors: true is not supported (selectors are immutable)');
    const pairs = asObject(spec.pairs, 'labels[].pairs');
    for (const object of acc.objects) {
      addToMap(object.metadata, 'labels', pairs);
      if (spec.includeTemplates === true) {
        const template = podTemplateOf(object);
        if (template) addToMap(template.metadata as JsonObject, 'labels', pairs);
      }
    }
  }

  if (k.commonAnnotations !== undefined) {
    const annotations = asObject(k.commonAnnotations, 'commonAnnotations');
    for (const object of acc.objects) addToMap(object.metadata, 'annotations', annotations);
  }

  for (const entry of asArray(k.images, 'images')) applyImage(asObject(entry, 'images[]'), acc.objects);

  for (const entry of asArray(k.replicas, 'replicas')) {
    const spec = asObject(entry, 'replicas[]');
    const targets = acc.objects.filter(
      (o) => o.metadata.name === spec.name && ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind),
    );
    if (targets.length === 0) throw new Error(`replicas: no workload named ${String(spec.name)}`);
    for (const target of targets) asObject(target.spec, describe(target)).replicas = spec.count as number;
  }

  if (k.namespace !== undefined) {
    const namespace = asString(k.namespace, 'namespace');
    for (const object of acc.objects) object.metadata.namespace = namespace;
  }

  return acc;
}

function addToMap(holder: JsonObject, key: string, pairs: JsonObject): void {
  const existing = isObject(holder[key]) ? (holder[key] as JsonObject) : {};
  holder[key] = { ...existing, ...pairs };
}

/** The pod template of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob), made present if missing. */
export function podTemplateOf(object: K8sObject): JsonObject | undefined {
  let spec = isObject(object.spec) ? object.spec : undefined;
  if (object.kind === 'CronJob' && spec)
    spec = isObject(spec.jobTemplate) ? (spec.jobTemplate.spec as JsonObject) : undefined;
  if (!spec || !isObject(spec.template)) return undefined;
  const template = spec.template;
  if (!isObject(template.metadata)) template.metadata = {};
  return template;
}

function podSpecContainers(object: K8sObject): JsonObject[] {
  const template = podTemplateOf(object);
  const spec = template && isObject(template.spec) ? template.spec : undefined;
  if (!spec) return [];
  return [
    ...asArray(spec.initContainers, 'initContainers'),
    ...asArray(spec.containers, 'containers'),
  ].filter(isObject);
}

function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@') as [string, string | undefined];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const name = colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
  const tag = colon === -1 ? undefined : withoutDigest.slice(colon + 1);
  return { name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

function applyImage(spec: JsonObject, objects: K8sObject[]): void {
  const name = asString(spec.name, 'images[].name');
  for (const object of objects) {
    for (const container of podSpecContainers(object)) {
      const current = splitImage(asString(container.image, `${describe(object)} image`));
      if (current.name !== name) continue;
      const newName = typeof spec.newName === 'string' ? spec.newName : current.name;
      if (typeof spec.digest === 'string') container.image = `${newName}@${spec.digest}`;
      else if (typeof spec.newTag === 'string') container.image = `${newName}:${spec.newTag}`;
      else
        container.image = `${newName}${current.tag ? `:${current.tag}` : ''}${current.digest ? `@${current.digest}` : ''}`;
    }
  }
}

function parseEnvFile(file: string): JsonObject {
  const data: JsonObject = {};
  for (const [index, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}:${index + 1}: expected KEY=VALUE`);
    data[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return data;
}

function parseLiteral(literal: string): [string, string] {
  const eq = literal.indexOf('=');
  if (eq <= 0) throw new Error(`configMapGenerator literal "${literal}": expected KEY=VALUE`);
  return [literal.slice(0, eq), literal.slice(eq + 1)];
}

function generateConfigMaps(dir: string, k: JsonObject, acc: Accumulated): void {
  const options = k.generatorOptions === undefined ? {} : asObject(k.generatorOptions, 'generatorOptions');
  for (const key of Object.keys(options)) {
    if (key !== 'labels') throw new Error(`generatorOptions.${key} is not supported by the offline builder`);
  }
  for (const [index, entry] of asArray(k.configMapGenerator, 'configMapGenerator').entries()) {
    const spec = asObject(entry, `configMapGenerator[${index}]`);
    const name = asString(spec.name, `configMapGenerator[${index}].name`);
    const data: JsonObject = {};
    for (const envFile of asArray(spec.envs, 'envs')) {
      const path = resolve(dir, asString(envFile, 'envs[]'));
      assertInside(dir, path);
      Object.assign(data, parseEnvFile(path));
    }
    for (const fileEntry of asArray(spec.files, 'files')) {
      const text = asString(fileEntry, 'files[]');
      const eq = text.indexOf('=');
      const key = eq === -1 ? basename(text) : text.slice(0, eq);
      const path = resolve(dir, eq === -1 ? text : text.slice(eq + 1));
      assertInside(dir, path);
      data[key] = readFileSync(path, 'utf8');
    }
    for (const literal of asArray(spec.literals, 'literals')) {
      const [key, value] = parseLiteral(asString(literal, 'literals[]'));
      data[key] = value;
    }
    const behavior = spec.behavior ?? 'create';
    const existing = acc.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (behavior === 'create') {
      if (existing)
        throw new Error(`configMapGenerator: ConfigMap ${name} already exists (use behavior: merge)`);
      const configMap: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
      if (options.labels !== undefined)
        configMap.metadata.labels = clone(asObject(options.labels, 'generatorOptions.labels'));
      acc.objects.push(configMap);
      acc.generated.add(configMap);
    } else if (behavior === 'merge' || behavior === 'replace') {
      if (!existing)
        throw new Error(`configMapGenerator: behavior ${behavior} but no ConfigMap ${name} to ${behavior}`);
      existing.data = behavior === 'merge' ? { ...asObject(existing.data ?? {}, 'data'), ...data } : data;
    } else {
      throw new Error(`configMapGenerator: unknown behavior ${String(behavior)}`);
    }
  }
}

/** kustomize refuses files outside the kustomization root; so do we. */
function assertInside(dir: string, path: string): void {
  if (!path.startsWith(`${dir}/`)) throw new Error(`${path} is outside the kustomization directory ${dir}`);
}

function applyPatchEntry(dir: string, entry: JsonObject, objects: K8sObject[]): void {
  let text: string;
  if (typeof entry.path === 'string') text = readFileSync(resolve(dir, entry.path), 'utf8');
  else text = asString(entry.patch, 'patches[].patch (or path)');
  const patch = parse(text) as unknown;
  const target = entry.target === undefined ? undefined : asObject(entry.target, 'patches[].target');

  if (Array.isArray(patch)) {
    if (!target) throw new Error('a JSON6902 patch needs a target');
    const matches = objects.filter(
      (o) =>
        (target.kind === undefined || o.kind === target.kind) &&
        (target.name === undefined || o.metadata.name === target.name),
    );
    if (matches.length === 0) throw new Error(`patch target ${JSON.stringify(target)} matches nothing`);
    for (const object of matches) applyJson6902(object, patch as JsonObject[]);
    return;
  }

  const smp = asObject(patch, 'strategic merge patch');
  const kind = target?.kind ?? smp.kind;
  const name = target?.name ?? asObject(smp.metadata, 'patch metadata').name;
  const index = objects.findIndex((o) => o.kind === kind && o.metadata.name === name);
  if (index === -1) throw new Error(`patch for ${String(kind)}/${String(name)} matches no resource`);
  objects[index] = strategicMerge(objects[index]!, smp, []) as K8sObject;
}

/** JSON Pointer (RFC 6901) operations add, replace, remove. */
function applyJson6902(object: K8sObject, operations: JsonObject[]): void {
  for (const operation of operations) {
    const path = asString(operation.path, 'op.path')
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = path.pop();
    if (last === undefined) throw new Error('JSON6902: empty path');
    let parent: Json = object;
    for (const segment of path) {
      parent = Array.isArray(parent)
        ? (parent[Number(segment)] as Json)
        : (asObject(parent, segment)[segment] as Json);
      if (parent === undefined) throw new Error(`JSON6902: ${String(operation.path)} does not exist`);
    }
    const op = operation.op;
    if (Array.isArray(parent)) {
      const at = last === '-' ? parent.length : Number(last);
      if (op === 'add') parent.splice(at, 0, clone(operation.value as Json));
      else if (op === 'replace') parent[at] = clone(operation.value as Json);
      else if (op === 'remove') parent.splice(at, 1);
      else throw new Error(`JSON6902 op ${String(op)} not supported`);
    } else {
      const holder = asObject(parent, 'JSON6902 parent');
      if (op === 'add' || op === 'replace') holder[last] = clone(operation.value as Json);
      else if (op === 'remove') delete holder[last];
      else throw new Error(`JSON6902 op ${String(op)} not supported`);
    }
  }
}

/** Lists merged item by item on a key (the Kubernetes API's patchMergeKey); every other list is replaced. */
function mergeKeyFor(field: string, items: Json[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'ports':
      return items.some((i) => isObject(i) && 'containerPort' in i) ? 'containerPort' : 'port';
    default:
      return undefined;
  }
}

/** Strategic merge patch, for the subset of directives the overlays use (`$patch: delete` on list items). */
export function strategicMerge(base: Json, patch: Json, path: string[]): Json {
  if (isObject(patch) && isObject(base)) {
    const out: JsonObject = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete out[key];
      else out[key] = key in base ? strategicMerge(base[key]!, value, [...path, key]) : clone(value);
    }
    return out;
  }
  if (Array.isArray(patch) && Array.isArray(base)) {
    const field = path[path.length - 1] ?? '';
    const key = mergeKeyFor(field, [...base, ...patch]);
    if (!key) return clone(patch);
    const out = [...base];
    for (const item of patch) {
      const patchItem = asObject(item, `${path.join('.')}[]`);
      if (!(key in patchItem)) throw new Error(`${path.join('.')}: list item without its merge key ${key}`);
      const at = out.findIndex((b) => isObject(b) && b[key] === patchItem[key]);
      if (patchItem.$patch === 'delete') {
        if (at !== -1) out.splice(at, 1);
      } else if (at === -1) out.push(clone(patchItem));
      else out[at] = strategicMerge(out[at]!, patchItem, [...path, field]);
    }
    return out;
  }
  return clone(patch);
}

/** Appends the content hash to generated ConfigMaps and rewrites the references to them, like kustomize. */
function applyNameHashes(objects: K8sObject[], generated: Set<K8sObject>): void {
  const renamed = new Map<string, string>();
  for (const configMap of generated) {
    const hash = createHash('sha256')
      .update(
        JSON.stringify({ kind: configMap.kind, name: configMap.metadata.name, data: configMap.data ?? {} }),
      )
      .digest('hex')
      .slice(0, 10);
    const newName = `${configMap.metadata.name}-${hash}`;
    renamed.set(configMap.metadata.name, newName);
    configMap.metadata.name = newName;
  }
  const rename = (holder: JsonObject | undefined) => {
    if (holder && typeof holder.name === 'string' && renamed.has(holder.name))
      holder.name = renamed.get(holder.name)!;
  };
  for (const object of objects) {
    const template = podTemplateOf(object);
    const spec = template && isObject(template.spec) ? template.spec : undefined;
    if (!spec) continue;
    for (const volume of asArray(spec.volumes, 'volumes').filter(isObject)) {
      rename(isObject(volume.configMap) ? volume.configMap : undefined);
      const projected = isObject(volume.projected) ? volume.projected : undefined;
      for (const source of asArray(projected?.sources, 'sources').filter(isObject)) {
        rename(isObject(source.configMap) ? source.configMap : undefined);
      }
    }
    for (const container of podSpecContainers(object)) {
      for (const envFrom of asArray(container.envFrom, 'envFrom').filter(isObject)) {
        rename(isObject(envFrom.configMapRef) ? envFrom.configMapRef : undefined);
      }
      for (const env of asArray(container.env, 'env').filter(isObject)) {
        const valueFrom = isObject(env.valueFrom) ? env.valueFrom : undefined;
        rename(valueFrom && isObject(valueFrom.configMapKeyRef) ? valueFrom.configMapKeyRef : undefined);
      }
    }
  }
}
