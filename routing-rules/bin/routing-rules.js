#!/usr/bin/env node
// Runs the TypeScript CLI directly (this workspace is never compiled).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
