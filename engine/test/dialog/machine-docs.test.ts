import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { createDialogMachine } from '../../src/dialog/dialog-machine';
import { inertPolicy } from '../../src/dialog/dialog-policy';
import { machineDoc } from '../../src/dialog/machine-diagram';

describe('dialog machine docs', () => {
  it('when the machine changes, then docs/dialog-machine.md must be regenerated (npm run docs:machine)', () => {
    const committed = readFileSync(new URL('../../../docs/dialog-machine.md', import.meta.url), 'utf8');
    expect(committed).to.equal(machineDoc(createDialogMachine(inertPolicy)));
  });
});
