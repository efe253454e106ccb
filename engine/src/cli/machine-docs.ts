import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDialogMachine } from '../dialog/dialog-machine';
import { machineDoc } from '../dialog/machine-diagram';
import { inertPolicy } from '../dialog/dialog-policy';

/** Writes docs/dialog-machine.md from the machine definition. */
const target = fileURLToPath(new URL('../../../docs/dialog-machine.md', import.meta.url));
writeFileSync(target, machineDoc(createDialogMachine(inertPolicy)));
process.stdout.write(`wrote ${target}\n`);
