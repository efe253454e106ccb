/**
 * Deployment manifests: built by the real kustomize (`kubectl kustomize`, ./kustomize.ts), validated against the
 * Kubernetes schemas (./schemas.ts), and checked for the facts the engine
 * depends on. Run: npx mocha engine/test/k8s/*.test.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  describe as describeObject,
  isObject,
  type Json,
  type JsonObject,
  type K8sObject,
  kustomizeBuild,
} from './kustomize';
import { schemaErrors, unknownFieldErrors } from './schemas';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const BUILDS = ['k8s/base', 'k8s/overlays/production-small'] as const;

// k8s/base/routing.yaml is generated from the root routing.yaml, as a deploy does it (npm run k8s:routing).
execFileSync('npm', ['run', '--silent', 'k8s:routing'], { cwd: repo });

/** Every variable the engine reads (brief + engine/src/config.ts's EnvSchema, checked below). */
const ENGINE_ENV = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATA_DIR',
  'REDIS_URL',
  'SESSION_SECRET',
  'ROUTING_CONFIG',
  'LOG_LEVEL',
  'SEED_DEMO',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'NODE_ID',
  'SHUTDOWN_TIMEOUT_MS',
  'MIGRATE_ON_START',
];

/** Variables deliberately left to the engine's default in the cluster, and why. */
const DELIBERATELY_DEFAULTED: Record<string, string> = {
  LOGIN_MAX_FAILURES: 'login throttling default (5) is the product default',
  LOGIN_WINDOW_SECONDS: 'login throttling window default (900 s)',
  LOGIN_ADDRESS_MAX_FAILURES: 'login attempts per address across e-mails default (20 per window)',
  REOPEN_WINDOW_SECONDS: 'dialog reopen window default (600 s)',
  TIMER_POLL_MS: 'timer poll default (250 ms)',
  TIMER_LEASE_MS: "a dead node's claimed thresholds are handed on after 10 s",
  RECONCILE_INTERVAL_MS: 'one node repairs the routing store from Postgres every 5 s',
  PRESENCE_GRACE_MS: 'operator presence grace default (15 s)',
  PRESENCE_HEARTBEAT_MS: 'operator connection heartbeat default (5 s, alive for 10 s)',
  VISITOR_MESSAGES_PER_10S: 'visitor limits: the product defaults (docs/protocol.md "Limits and blocking")',
  VISITOR_STARTS_PER_MINUTE: 'visitor limits: product default',
  VISITOR_EVENTS_PER_10S: 'visitor limits: product default',
  VISITOR_HANDSHAKES_PER_MINUTE: 'visitor limits: product default',
  ADDRESS_MESSAGES_PER_10S: 'address limits: product default',
  ADDRESS_STARTS_PER_MINUTE: 'address limits: product default',
  ADDRESS_EVENTS_PER_10S: 'address limits: product default',
  ADDRESS_HANDSHAKES_PER_MINUTE: 'address limits: product default',
  ADDRESS_TOKENS_PER_MINUTE: 'address limits: product default',
  VISITOR_BLOCK_ADDRESS_SECONDS: 'a block also refuses the address for 24 h (product default)',
  ATTACHMENT_LINK_TTL_SECONDS: 'signed file links live an hour (product default)',
  VISITOR_ATTACHMENTS_PER_MINUTE: 'visitor limits: product default',
  ADDRESS_ATTACHMENTS_PER_MINUTE: 'address limits: product default',
  CLAMD_HOST: 'virus scanning is off unless a clamd is deployed (docs/attachments.md)',
  CLAMD_PORT: 'virus scanning is off unless a clamd is deployed',
  REDIS_KEY_PREFIX: "default prefix 'hl'; set it only to share one Redis between installs",
  REDIS_CLUSTER:
    'one Redis server by default; set true when REDIS_URL names a Redis Cluster node (docs/redis.md)',
  DATABASE_SCHEMA:
    "the database user's default schema; if set, set it on the migrate Job too (checked below)",
  FILE_STORE: 'attachments default to Postgres (DATABASE_URL is set): replicas share them with nothing else',
  S3_BUCKET: 'only with FILE_STORE=s3 (docs/attachments.md)',
  S3_REGION: 'only with FILE_STORE=s3',
  S3_ENDPOINT: 'only with FILE_STORE=s3 on an S3-compatible server',
  S3_FORCE_PATH_STYLE: 'only with FILE_STORE=s3 on an S3-compatible server',
  S3_ACCESS_KEY_ID: "only with FILE_STORE=s3; unset, the pod's IAM role (IRSA) is used",
  S3_SECRET_ACCESS_KEY: "only with FILE_STORE=s3, from a Secret; unset, the pod's IAM role (IRSA) is used",
};

/** Must be identical in the engine and the migration Job, or migrations land elsewhere. */
const SHARED_WITH_MIGRATE = ['DATABASE_URL', 'DATABASE_SCHEMA'];

/** Must only ever come from a Secret. */
const SECRET_ENV = ['DATABASE_URL', 'REDIS_URL', 'SESSION_SECRET', 'ADMIN_PASSWORD'];

/** The metrics the engine exports (hotline_*) plus prom-client defaults used by the dashboard. */
const METRICS = [
  'hotline_queue_length',
  'hotline_queue_wait_seconds',
  'hotline_assignments_total',
  'hotline_operators_online',
  'hotline_operator_load',
  'hotline_auto_messages_total',
  'hotline_contacts_captured_total',
  'hotline_first_response_seconds',
  'hotline_dialogs_abandoned_total',
  'process_cpu_seconds_total',
  'nodejs_eventloop_lag_seconds',
  'process_resident_memory_bytes',
];
const HISTOGRAMS = ['hotline_queue_wait_seconds', 'hotline_first_response_seconds'];

// ---------- small accessors ----------

const obj = (value: Json | undefined, what: string): JsonObject => {
  if (!isObject(value)) throw new Error(`${what} is not a mapping`);
  return value;
};
const list = (value: Json | undefined): JsonObject[] => (Array.isArray(value) ? value.filter(isObject) : []);

function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `exactly one ${kind}${name ? `/${name}` : ''}`).to.have.length(1);
  return found[0]!;
}

const podSpec = (workload: K8sObject) =>
  obj(obj(obj(workload.spec, 'spec').template, 'template').spec, 'pod spec');
const podLabels = (workload: K8sObject) =>
  obj(
    obj(obj(obj(workload.spec, 'spec').template, 'template').metadata, 'template metadata').labels,
    'labels',
  ) as Record<string, string>;
const container = (workload: K8sObject, name: string) => {
  const found = list(podSpec(workload).containers).find((c) => c.name === name);
  if (!found) throw new Error(`${describeObject(workload)} has no container ${name}`);
  return found;
};
const matches = (selector: Record<string, Json>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The effective environment of a container: envFrom ConfigMaps, then env (later wins). */
function effectiveEnv(objects: K8sObject[], c: JsonObject): Map<string, JsonObject> {
  const env = new Map<string, JsonObject>();
  for (const from of list(c.envFrom)) {
    const ref = obj(from.configMapRef, 'envFrom.configMapRef (only ConfigMaps are expected in envFrom)');
    const configMap = only(objects, 'ConfigMap', String(ref.name));
    for (const [key, value] of Object.entries(obj(configMap.data, 'data')))
      env.set(key, { name: key, value, from: 'configMap' });
  }
  for (const e of list(c.env)) env.set(String(e.name), e);
  return env;
}

const quantityBytes = (q: string): number => {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`unparsed quantity ${q}`);
  const units: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(m[1]) * (m[2] ? units[m[2]]! : 1);
};

// ---------- the tests ----------

for (const dir of BUILDS) {
  describe(`k8s manifests: ${dir}`, () => {
    const objects = kustomizeBuild(join(repo, dir));
    const deployment = only(objects, 'Deployment', 'hotline-engine');
    const engine = container(deployment, 'engine');
    const job = only(objects, 'Job', 'hotline-migrate');

    describe('schema (Kubernetes 1.27 OpenAPI via kubernetes-models, ServiceMonitor CRD schema)', () => {
      it('contains the expected objects', () => {
        const kinds = objects.map((o) => o.kind).sort();
        expect(kinds).to.deep.equal(
          [
            'ConfigMap',
            'ConfigMap',
            'Deployment',
            'HorizontalPodAutoscaler',
            'Ingress',
            'Job',
            'PodDisruptionBudget',
            'Service',
            'ServiceAccount',
            'ServiceMonitor',
          ].sort(),
        );
      });

      for (const object of objects) {
        it(`${describeObject(object)} validates against its schema`, () => {
          expect(schemaErrors(object)).to.deep.equal([]);
        });
      }

      it('no object has a field the API does not know (typos)', function () {
        this.timeout(60_000);
        expect(unknownFieldErrors(objects)).to.deep.equal([]);
      });

      it('object names are unique per kind and valid DNS labels', () => {
        const seen = new Set<string>();
        for (const o of objects) {
          expect(seen.has(describeObject(o)), `duplicate ${describeObject(o)}`).to.equal(false);
          seen.add(describeObject(o));
          expect(o.metadata.name).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
          expect(o.metadata.name.length).to.be.at.most(63);
        }
      });
    });

    describe('engine Deployment', () => {
      it('probes: startup and liveness on /healthz, readiness on /readyz, on the named http port', () => {
        const port = list(engine.ports).find((p) => p.name === 'http');
        expect(port?.containerPort).to.equal(3000);
        const httpGet = (probe: string) => obj(obj(engine[probe], probe).httpGet, `${probe}.httpGet`);
        expect(httpGet('livenessProbe')).to.include({ path: '/healthz', port: 'http' });
        expect(httpGet('startupProbe')).to.include({ path: '/healthz', port: 'http' });
        expect(httpGet('readinessProbe')).to.include({ path: '/readyz', port: 'http' });
      });

      it('runs as non-root with a read-only root filesystem and a writable /tmp', () => {
        for (const workload of [deployment, job]) {
          const pod = podSpec(workload);
          const podSecurity = obj(pod.securityContext, 'pod securityContext');
          expect(podSecurity.runAsNonRoot, describeObject(workload)).to.equal(true);
          expect(podSecurity.runAsUser).to.be.a('number').and.not.equal(0);
          for (const c of list(pod.containers)) {
            const security = obj(c.securityContext, 'container securityContext');
            expect(security).to.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
            expect(security.privileged ?? false).to.equal(false);
            const tmp = list(c.volumeMounts).find((m) => m.mountPath === '/tmp');
            expect(tmp, `${describeObject(workload)} mounts /tmp`).to.not.equal(undefined);
            const volume = list(pod.volumes).find((v) => v.name === tmp!.name);
            expect(volume?.emptyDir, '/tmp is an emptyDir').to.not.equal(undefined);
          }
        }
      });

      it('rolls with maxUnavailable 0, has resources, and spreads across nodes', () => {
        const spec = obj(deployment.spec, 'spec');
        const strategy = obj(spec.strategy, 'strategy');
        expect(strategy.type).to.equal('RollingUpdate');
        expect(obj(strategy.rollingUpdate, 'rollingUpdate').maxUnavailable).to.equal(0);
        const resources = obj(engine.resources, 'resources');
        for (const kind of ['requests', 'limits'])
          expect(obj(resources[kind], kind)).to.have.keys('cpu', 'memory');
        const pod = podSpec(deployment);
        const spread = list(pod.topologySpreadConstraints).map((t) => t.topologyKey);
        expect(spread).to.include('kubernetes.io/hostname');
        expect(obj(pod.affinity, 'affinity').podAntiAffinity).to.not.equal(undefined);
      });

      it('drains within the grace period: preStop sleep + SHUTDOWN_TIMEOUT_MS < terminationGracePeriodSeconds', () => {
        const grace = podSpec(deployment).terminationGracePeriodSeconds as number;
        const command = obj(obj(obj(engine.lifecycle, 'lifecycle').preStop, 'preStop').exec, 'exec')
          .command as string[];
        expect(command[0]).to.equal('sleep');
        const preStop = Number(command[1]);
        expect(preStop).to.be.greaterThan(0);
        const shutdown =
          Number(effectiveEnv(objects, engine).get('SHUTDOWN_TIMEOUT_MS')?.value ?? 10_000) / 1000;
        expect(preStop + shutdown, `${preStop}s + ${shutdown}s vs ${grace}s`).to.be.lessThan(grace);
      });

      it('keeps the V8 heap below the memory limit', () => {
        const options = String(effectiveEnv(objects, engine).get('NODE_OPTIONS')?.value ?? '');
        const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
        const limit = quantityBytes(String(obj(obj(engine.resources, 'resources').limits, 'limits').memory));
        expect(heapMiB * 2 ** 20).to.be.lessThan(limit * 0.9);
      });

      it('sets every variable the engine reads, or defaults it deliberately', async () => {
        const env = effectiveEnv(objects, engine);
        const read = new Set(ENGINE_ENV);
        // The engine's own schema is the source of truth when present.
        const configModule = join(repo, 'engine/src/config.ts');
        if (existsSync(configModule)) {
          const { EnvSchema } = (await import('../../src/config')) as {
            EnvSchema: { shape: Record<string, unknown> };
          };
          for (const key of Object.keys(EnvSchema.shape)) read.add(key);
        }
        const missing = [...read].filter((key) => !env.has(key) && !(key in DELIBERATELY_DEFAULTED));
        expect(missing, 'neither set nor in DELIBERATELY_DEFAULTED').to.deep.equal([]);
        const stale = Object.keys(DELIBERATELY_DEFAULTED).filter((key) => env.has(key));
        expect(stale, 'set and listed as defaulted').to.deep.equal([]);
        expect(env.get('MIGRATE_ON_START')?.value).to.equal('false');
        expect(env.get('SEED_DEMO')?.value).to.equal('false');
        expect(env.get('NODE_ENV')?.value).to.equal('production');
        expect(env.get('TRUST_PROXY')?.value, 'ingress-nginx is one trusted hop').to.equal('1');
        expect(env.get('HOST')?.value).to.equal('0.0.0.0');
        expect(String(env.get('PORT')?.value)).to.equal('3000');
      });

      it('reads routing.yaml from the ConfigMap mounted where ROUTING_CONFIG points', () => {
        const env = effectiveEnv(objects, engine);
        const path = String(env.get('ROUTING_CONFIG')?.value);
        const pod = podSpec(deployment);
        const mount = list(engine.volumeMounts).find((m) => path.startsWith(`${String(m.mountPath)}/`));
        expect(mount, `a volume mounted above ${path}`).to.not.equal(undefined);
        expect(mount!.subPath, 'no subPath: subPath mounts never see ConfigMap updates').to.equal(undefined);
        const volume = list(pod.volumes).find((v) => v.name === mount!.name)!;
        const configMapRef = obj(volume.configMap, 'routing volume configMap');
        const fileName = path.slice(String(mount!.mountPath).length + 1);
        const item = list(configMapRef.items).find((i) => i.path === fileName);
        const key = item ? String(item.key) : fileName;
        const configMap = only(objects, 'ConfigMap', String(configMapRef.name));
        expect(obj(configMap.data, 'data')).to.have.property(key).that.is.a('string');
      });

      it('takes secrets only by reference: no Secret objects, no literal secret values', () => {
        expect(objects.filter((o) => o.kind === 'Secret')).to.deep.equal([]);
        const secretish = /SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|API_KEY/;
        for (const workload of [deployment, job]) {
          for (const c of list(podSpec(workload).containers)) {
            for (const [name, entry] of effectiveEnv(objects, c)) {
              if (!secretish.test(name)) continue;
              expect(entry.value, `${describeObject(workload)} ${name} has a literal value`).to.equal(
                undefined,
              );
              const ref = obj(obj(entry.valueFrom, `${name}.valueFrom`).secretKeyRef, `${name} secretKeyRef`);
              expect(ref.name).to.equal('hotline-engine-secrets');
            }
          }
        }
        // ...and no secret in a ConfigMap, even one that env then overrides.
        for (const configMap of objects.filter((o) => o.kind === 'ConfigMap')) {
          const keys = Object.keys(obj(configMap.data ?? {}, 'data')).filter((key) => secretish.test(key));
          expect(keys, `secret-like keys in ${describeObject(configMap)}`).to.deep.equal([]);
        }
        const env = effectiveEnv(objects, engine);
        for (const name of SECRET_ENV) expect(env.get(name)?.valueFrom, name).to.not.equal(undefined);
        // Nothing that looks like a credential anywhere in the output (user:password@ URLs, PEM keys).
        const text = JSON.stringify(objects);
        expect(text).to.not.match(/[a-z]+:\/\/[^/\s"]*:[^/\s"@]*@/i);
        expect(text).to.not.contain('PRIVATE KEY');
      });
    });

    describe('Service, Ingress, ServiceMonitor, HPA, PDB', () => {
      const service = only(objects, 'Service', 'hotline-engine');
      const serviceSpec = obj(service.spec, 'service spec');

      it('the Service selects the engine pods and never the migration Job pods', () => {
        const selector = obj(serviceSpec.selector, 'selector');
        expect(matches(selector, podLabels(deployment))).to.equal(true);
        expect(matches(selector, podLabels(job))).to.equal(false);
        expect(serviceSpec.type ?? 'ClusterIP').to.equal('ClusterIP');
        const port = list(serviceSpec.ports).find((p) => p.name === 'http');
        expect(port).to.include({ port: 80, targetPort: 'http' });
      });

      it('the Ingress keeps socket.io long-polling sessions sticky (cookie affinity) and sockets open', () => {
        const ingress = only(objects, 'Ingress');
        const annotations = obj(ingress.metadata.annotations, 'annotations');
        expect(annotations['nginx.ingress.kubernetes.io/affinity']).to.equal('cookie');
        expect(annotations['nginx.ingress.kubernetes.io/session-cookie-name']).to.be.a('string');
        expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).to.be.at.least(60);
        expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).to.be.at.least(60);
        const spec = obj(ingress.spec, 'ingress spec');
        const backends = list(spec.rules).flatMap((r) =>
          list(obj(r.http, 'http').paths).map((p) =>
            obj(obj(p.backend, 'backend').service, 'backend.service'),
          ),
        );
        expect(backends).to.not.be.empty;
        for (const backend of backends) {
          expect(backend.name).to.equal(service.metadata.name);
          expect(obj(backend.port, 'port').name).to.equal('http');
        }
        // Every path must let /socket.io through (a "/" prefix does).
        const paths = list(spec.rules).flatMap((r) =>
          list(obj(r.http, 'http').paths).map((p) => String(p.path)),
        );
        expect(paths.some((p) => '/socket.io/'.startsWith(p))).to.equal(true);
      });

      it('the Ingress routes only what browsers need: widget, socket.io, API, console, demo; never probes or metrics', () => {
        const spec = obj(only(objects, 'Ingress').spec, 'ingress spec');
        const paths = list(spec.rules).flatMap((r) => list(obj(r.http, 'http').paths));
        const routed = (url: string) =>
          paths.some((p) =>
            p.pathType === 'Exact'
              ? url === p.path
              : url === p.path || url.startsWith(`${String(p.path).replace(/\/$/, '')}/`),
          );
        for (const url of [
          '/widget.js',
          '/socket.io/',
          '/api/sites/demo/widget',
          '/api/auth/login',
          '/console/',
          '/demo/',
        ])
          expect(routed(url), url).to.equal(true);
        for (const url of ['/', '/metrics', '/healthz', '/readyz', '/widget.jsx'])
          expect(routed(url), url).to.equal(false);
      });

      it('the ServiceMonitor scrapes /metrics on a port the Service has', () => {
        const monitor = only(objects, 'ServiceMonitor');
        const spec = obj(monitor.spec, 'spec');
        const selector = obj(obj(spec.selector, 'selector').matchLabels, 'matchLabels');
        expect(matches(selector, service.metadata.labels as Record<string, string>)).to.equal(true);
        const endpoint = list(spec.endpoints)[0]!;
        expect(endpoint).to.include({ port: 'metrics', path: '/metrics' });
        expect(list(serviceSpec.ports).map((p) => p.name)).to.include(endpoint.port);
        // The Service's metrics port reaches the container port the engine listens on (METRICS_PORT).
        const containerPort = list(engine.ports).find((p) => p.name === 'metrics');
        expect(list(serviceSpec.ports).find((p) => p.name === 'metrics')).to.include({
          targetPort: 'metrics',
        });
        expect(String(containerPort?.containerPort)).to.equal(
          String(effectiveEnv(objects, engine).get('METRICS_PORT')?.value),
        );
      });

      it('HPA: CPU 70 %, min >= PDB minAvailable + 1, targets the Deployment', () => {
        const hpa = obj(only(objects, 'HorizontalPodAutoscaler').spec, 'hpa spec');
        const pdb = obj(only(objects, 'PodDisruptionBudget').spec, 'pdb spec');
        expect(obj(hpa.scaleTargetRef, 'scaleTargetRef')).to.include({
          kind: 'Deployment',
          name: deployment.metadata.name,
        });
        const min = hpa.minReplicas as number;
        const max = hpa.maxReplicas as number;
        expect(min).to.be.at.least((pdb.minAvailable as number) + 1);
        expect(max).to.be.at.least(min);
        const cpu = list(hpa.metrics).find((m) => obj(m.resource, 'resource').name === 'cpu');
        expect(obj(obj(cpu!.resource, 'resource').target, 'target')).to.include({
          type: 'Utilization',
          averageUtilization: 70,
        });
        const replicas = obj(deployment.spec, 'spec').replicas as number;
        expect(replicas).to.be.within(min, max);
      });

      it('the PDB selects exactly the engine pods', () => {
        const pdb = obj(only(objects, 'PodDisruptionBudget').spec, 'pdb spec');
        const selector = obj(obj(pdb.selector, 'selector').matchLabels, 'matchLabels');
        expect(matches(selector, podLabels(deployment))).to.equal(true);
        expect(matches(selector, podLabels(job))).to.equal(false);
        expect(obj(deployment.spec, 'spec').selector).to.deep.equal(pdb.selector);
      });
    });

    describe('migration Job', () => {
      it('runs the migrate CLI once, with the same image and database secret as the engine', () => {
        const spec = obj(job.spec, 'job spec');
        expect(spec.backoffLimit).to.be.a('number');
        expect(spec.ttlSecondsAfterFinished).to.be.a('number');
        const pod = podSpec(job);
        expect(pod.restartPolicy).to.equal('Never');
        const migrate = container(job, 'migrate');
        expect(migrate.command).to.deep.equal(['node', 'engine/dist/migrate.js']);
        expect(migrate.image).to.equal(engine.image);
        const jobEnv = effectiveEnv(objects, migrate);
        const engineEnv = effectiveEnv(objects, engine);
        for (const name of SHARED_WITH_MIGRATE) {
          const strip = (e: JsonObject | undefined) =>
            e === undefined ? undefined : { value: e.value, valueFrom: e.valueFrom };
          expect(strip(jobEnv.get(name)), name).to.deep.equal(strip(engineEnv.get(name)));
        }
        const db = jobEnv.get('DATABASE_URL');
        expect(obj(obj(db?.valueFrom, 'valueFrom').secretKeyRef, 'secretKeyRef').key).to.equal(
          'DATABASE_URL',
        );
      });
    });
  });
}

describe('k8s manifests: production-small overlay specifics', () => {
  const objects = kustomizeBuild(join(repo, 'k8s/overlays/production-small'));
  const deployment = only(objects, 'Deployment', 'hotline-engine');

  it('pins the image tag and puts everything in one namespace', () => {
    const image = String(container(deployment, 'engine').image);
    expect(image).to.match(/:[\w.-]+$|@sha256:[a-f0-9]{64}$/);
    expect(image).to.not.match(/:latest$/);
    const namespaces = new Set(objects.map((o) => o.metadata.namespace));
    expect([...namespaces]).to.deep.equal(['hotline']);
  });

  it('serves its host over TLS', () => {
    const spec = obj(only(objects, 'Ingress').spec, 'ingress spec');
    const hosts = list(spec.rules).map((r) => r.host);
    const tlsHosts = list(spec.tls).flatMap((t) => t.hosts as string[]);
    expect(hosts).to.not.be.empty;
    for (const host of hosts) expect(tlsHosts).to.include(host);
    expect(hosts).to.not.include('hotline.example.com');
  });

  it('merges its env overrides into the generated ConfigMap and the Deployment follows the new name', () => {
    const envFrom = list(container(deployment, 'engine').envFrom)[0]!;
    const name = String(obj(envFrom.configMapRef, 'configMapRef').name);
    // kustomize's name hash: 10 characters of its own alphabet (consonants and digits, no vowels).
    expect(name).to.match(/^hotline-engine-env-[bcdfghkmt2456789]{10}$/);
    expect(obj(only(objects, 'ConfigMap', name).data, 'data')).to.include({
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
    });
  });
});

describe('k8s/base/routing.yaml', () => {
  it('is generated from the root routing.yaml, never committed (configMapGenerator can only read files under k8s/base)', () => {
    const tracked = execFileSync('git', ['ls-files', 'k8s/base/routing.yaml'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(tracked, 'k8s/base/routing.yaml must not be committed').to.equal('');
    const ignored = execFileSync('git', ['check-ignore', 'k8s/base/routing.yaml'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(ignored.trim()).to.equal('k8s/base/routing.yaml');
    const generated = readFileSync(join(repo, 'k8s/base/routing.yaml'), 'utf8');
    expect(generated).to.equal(readFileSync(join(repo, 'routing.yaml'), 'utf8'));
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('runs the engine as the non-root node user on port 3000, in exec form', () => {
    expect(runtime).to.match(/^USER node$/m);
    expect(runtime).to.match(/^EXPOSE 3000$/m);
    expect(runtime).to.contain('CMD ["node", "--enable-source-maps", "engine/dist/main.js"]');
    // A supported Node LTS line (22 or 24): Node 20 reached its end of life on 2026-04-30.
    expect(dockerfile).to.match(/^ARG NODE_IMAGE=node:(22|24)-/m);
    // The runtime stage carries compiled JavaScript, no TypeScript sources and no build tools.
    expect(runtime).to.not.match(/tsx|engine\/src|vite/);
    expect(dockerfile).to.match(/npm ci --omit=dev/);
    expect(dockerfile).to.match(/RUN npm run build/);
  });

  it('.dockerignore keeps node_modules, .git and .env files out of the build context', () => {
    const ignore = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', '.env']) expect(ignore).to.include(entry);
  });
});

describe('k8s/grafana/hotline-dashboard.json', () => {
  const dashboard = JSON.parse(
    readFileSync(join(repo, 'k8s/grafana/hotline-dashboard.json'), 'utf8'),
  ) as JsonObject;
  const panels = list(dashboard.panels).flatMap((p) => [p, ...list(p.panels)]);
  const exprs = panels.flatMap((p) => list(p.targets).map((t) => String(t.expr)));
  const metricName = /\b(?:hotline|process|nodejs)_[a-z_]+\b/g;
  const base = (name: string) => {
    const stripped = name.replace(/_(bucket|sum|count)$/, '');
    return HISTOGRAMS.includes(stripped) ? stripped : name;
  };

  it('parses and has unique panel ids', () => {
    expect(dashboard.title).to.be.a('string');
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(exprs).to.not.be.empty;
  });

  it('every expr uses only metrics the engine exports', () => {
    for (const expr of exprs) {
      const names = expr.match(metricName) ?? [];
      expect(names, expr).to.not.be.empty;
      for (const name of names) expect(METRICS, `${name} in ${expr}`).to.include(base(name));
    }
    // Histograms are only usable through their _bucket/_sum/_count series.
    for (const expr of exprs)
      for (const h of HISTOGRAMS) expect(expr).to.not.match(new RegExp(`\\b${h}(?!_(bucket|sum|count))\\b`));
  });

  it('charts every hotline metric, and each one exists in engine/src/metrics when present', () => {
    const used = new Set(exprs.flatMap((e) => (e.match(metricName) ?? []).map(base)));
    for (const metric of METRICS) expect([...used], metric).to.include(metric);
    const source = join(repo, 'engine/src/metrics/metrics.ts');
    if (existsSync(source)) {
      const text = readFileSync(source, 'utf8');
      for (const metric of METRICS.filter((m) => m.startsWith('hotline_')))
        expect(text, metric).to.contain(`'${metric}'`);
    }
  });
});
