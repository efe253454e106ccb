import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  deprecatedKeys,
  effectiveLimit,
  parseRoutingYaml,
  validateRoutingConfig,
  withCurrentKeys,
} from '../src/index';
import { rawConfig } from './support/fixtures';

/** A config written before `operatorId` became `operatorEmail`. */
const OLD_YAML = `
groups:
  - id: sales
    name: Sales
    limits: { default: 2 }
operators:
  - operatorId: Anna@Example.com
    groups: [{ groupId: sales }]
    limit: 5
defaultRoute: { groupId: sales }
`;

describe('renamed routing-config keys (operatorId → operatorEmail)', () => {
  it('when an old YAML names operators by operatorId, then it loads with operatorEmail', () => {
    const parsed = parseRoutingYaml(OLD_YAML);
    expect(parsed.ok, JSON.stringify(parsed)).to.equal(true);
    if (!parsed.ok) return;
    expect(parsed.config.operators[0]!.operatorEmail).to.equal('anna@example.com');
    expect(parsed.config.operators[0]).to.not.have.property('operatorId');
    expect(effectiveLimit(parsed.config, 'ANNA@example.com', 'sales')).to.equal(5);
  });

  it('when an old stored JSON has operatorId, then it validates and is written back with operatorEmail', () => {
    const old = rawConfig() as unknown as { operators: Record<string, unknown>[] };
    const { operatorEmail, ...rest } = old.operators[0]!;
    old.operators[0] = { ...rest, operatorId: operatorEmail };
    expect(validateRoutingConfig(old).ok).to.equal(true);
    const current = withCurrentKeys(old) as { operators: Record<string, unknown>[] };
    expect(current.operators[0]).to.deep.equal({ ...rest, operatorEmail });
    expect(old.operators[0]).to.have.property('operatorId');
  });

  it('when both keys are given and differ, then the error names the deprecated field', () => {
    const raw = rawConfig() as unknown as { operators: Record<string, unknown>[] };
    raw.operators[0]!.operatorId = 'boris@example.com';
    const result = validateRoutingConfig(raw);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.errors).to.deep.equal([
      {
        path: 'operators[0].operatorId',
        message: 'is the deprecated name of operatorEmail and differs from it; keep only operatorEmail',
      },
    ]);
  });

  it('when both keys are given with the same value, then it loads', () => {
    const raw = rawConfig() as unknown as { operators: Record<string, unknown>[] };
    raw.operators[0]!.operatorId = raw.operators[0]!.operatorEmail;
    expect(validateRoutingConfig(raw).ok).to.equal(true);
  });

  it('when two old-style profiles share an e-mail, then the duplicate is reported at the new key', () => {
    const raw = rawConfig() as unknown as { operators: Record<string, unknown>[] };
    raw.operators.push({ operatorId: 'ANNA@example.com', groups: [] });
    const result = validateRoutingConfig(raw);
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.errors.map((e) => e.path)).to.include('operators[1].operatorEmail');
  });

  it('when a config uses the old key, then deprecatedKeys names each place; the new key names none', () => {
    const parsed = { operators: [{ operatorEmail: 'a@x' }, { operatorId: 'b@x' }] };
    expect(deprecatedKeys(parsed)).to.deep.equal([
      { path: 'operators[1].operatorId', message: 'is deprecated: write operatorEmail' },
    ]);
    expect(deprecatedKeys(rawConfig())).to.deep.equal([]);
  });

  it('when `routing-rules check` reads an old file, then it says ok and warns on stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routing-rules-'));
    try {
      const file = join(dir, 'old.yaml');
      writeFileSync(file, OLD_YAML);
      const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
      const run = spawnSync(process.execPath, ['--import', 'tsx', cli, 'check', file], { encoding: 'utf8' });
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stdout).to.equal('ok\n');
      expect(run.stderr).to.equal('warning: operators[0].operatorId is deprecated: write operatorEmail\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
