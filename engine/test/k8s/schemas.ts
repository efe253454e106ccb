/**
 * Offline validation of built manifests against the real Kubernetes API schemas.
 *
 * 1. `kubernetes-models` (and `@kubernetes-models/prometheus-operator` for the
 *    ServiceMonitor CRD) ship validators compiled from the Kubernetes OpenAPI
 *    spec (v1.27) and from the CRD's openAPIV3Schema: types, required fields,
 *    enums, formats. They do NOT reject unknown fields.
 * 2. Unknown fields (a typo such as `readinesProbe`, which the API server drops
 *    or rejects with strict field validation) are caught by type-checking every
 *    object as an object literal against the same package's TypeScript
 *    interfaces: TypeScript's excess-property check reports each field the API
 *    type does not declare, at any depth.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import ts from 'typescript';
import { describe, type K8sObject } from './kustomize';

interface Validatable {
  validate(): void;
}

interface KindInfo {
  create: (data: K8sObject) => Validatable;
  /** module and interface name for the strict unknown-field check */
  module: string;
  type: string;
}

/** Every kind the manifests may contain; anything else fails validation ("no schema"). */
export const KINDS: Record<string, KindInfo> = {
  'apps/v1/Deployment': {
    create: (d) => new Deployment(d as never),
    module: 'kubernetes-models/apps/v1/Deployment',
    type: 'IDeployment',
  },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    create: (d) => new HorizontalPodAutoscaler(d as never),
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
  'batch/v1/Job': {
    create: (d) => new Job(d as never),
    module: 'kubernetes-models/batch/v1/Job',
    type: 'IJob',
  },
  'networking.k8s.io/v1/Ingress': {
    create: (d) => new Ingress(d as never),
    module: 'kubernetes-models/networking.k8s.io/v1/Ingress',
    type: 'IIngress',
  },
  'policy/v1/PodDisruptionBudget': {
    create: (d) => new PodDisruptionBudget(d as never),
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'v1/ConfigMap': {
    create: (d) => new ConfigMap(d as never),
    module: 'kubernetes-models/v1/ConfigMap',
    type: 'IConfigMap',
  },
  'v1/Service': {
    create: (d) => new Service(d as never),
    module: 'kubernetes-models/v1/Service',
    type: 'IService',
  },
  'v1/ServiceAccount': {
    create: (d) => new ServiceAccount(d as never),
    module: 'kubernetes-models/v1/ServiceAccount',
    type: 'IServiceAccount',
  },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    create: (d) => new ServiceMonitor(d as never),
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    type: 'IServiceMonitor',
  },
};

const kindKey = (object: K8sObject) => `${object.apiVersion}/${object.kind}`;

/** Schema errors of one object, as readable lines (empty when valid). */
export function schemaErrors(object: K8sObject): string[] {
  const info = KINDS[kindKey(object)];
  if (!info) return [`${describe(object)}: no schema for ${kindKey(object)}`];
  try {
    info.create(object).validate();
    return [];
  } catch (error) {
    return [`${describe(object)}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Fields the Kubernetes API types do not declare, found with TypeScript's
 * excess-property check. Returns one line per diagnostic, naming the object.
 */
export function unknownFieldErrors(objects: K8sObject[]): string[] {
  const known = objects.filter((o) => KINDS[kindKey(o)]);
  const imports = [...new Set(known.map((o) => kindKey(o)))].map((key) => {
    const info = KINDS[key]!;
    return `import type { ${info.type} } from '${info.module}';`;
  });
  const declarations = known.map(
    (o, i) =>
      `// ${describe(o)}\nexport const object${i}: ${KINDS[kindKey(o)]!.type} = ${JSON.stringify(o, null, 2)};`,
  );
  const source = `${imports.join('\n')}\n${declarations.join('\n')}\n`;
  // A virtual file beside this one, so module resolution finds the repository's node_modules.
  const fileName = join(here, '__built_manifests__.ts');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const original = {
    getSourceFile: host.getSourceFile,
    fileExists: host.fileExists,
    readFile: host.readFile,
  };
  host.getSourceFile = (name, version, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, version, true)
      : original.getSourceFile.call(host, name, version, ...rest);
  host.fileExists = (name) => name === fileName || original.fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? source : original.readFile.call(host, name));
  const program = ts.createProgram([fileName], options, host);
  const sourceFile = program.getSourceFile(fileName)!;
  const diagnostics = [
    ...program.getSyntacticDiagnostics(sourceFile),
    ...program.getSemanticDiagnostics(sourceFile),
  ];
  return diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.start === undefined) return message;
    const { line } = sourceFile.getLineAndCharacterOfPosition(d.start);
    // Name the object: the nearest "// Kind/name" comment above the line.
    const lines = source.split('\n');
    let owner = '';
    for (let i = line; i >= 0; i--) {
      if (lines[i]!.startsWith('// ')) {
        owner = lines[i]!.slice(3);
        break;
      }
    }
    return `${owner}: ${lines[line]!.trim()} -> ${message}`;
  });
}
