import { kustomizeBuild } from './kustomize';
import { schemaErrors, unknownFieldErrors } from './schemas';
for (const dir of ['k8s/base', 'k8s/overlays/production-small']) {
  const objs = kustomizeBuild(dir);
  console.log(dir, objs.map((o) => `${o.kind}/${o.metadata.name}`).join(' '));
  for (const o of objs) console.log(schemaErrors(o));
  console.time('ts'); console.log(unknownFieldErrors(objs)); console.timeEnd('ts');
}
