import { readdirSync, readFileSync } from 'node:fs';

/**
 * The routing Lua scripts, read once at module load. `commands/<verbNoun>-<numberOfKeys>.lua` gives
 * the name and key count (BullMQ's convention); `<verbNoun>-n.lua` takes any number of keys (one per
 * operator of a batch), passed first as a count; `--- @include "includes/x"` lines are inlined once each.
 */
export interface LuaCommand {
  name: string;
  /** null: variadic, the caller passes the key count before the keys. */
  numberOfKeys: number | null;
  lua: string;
}

/**
 * Bumped whenever a script's contract, its body (includes count: they are inlined) or the key layout
 * changes: the registered command names carry it (`hlAssignHead_v5`), so two engine versions sharing
 * Redis during a rolling deploy never share a script name with different bodies.
 */
export const COMMANDS_VERSION = 11;

const commandsDir = new URL('./commands/', import.meta.url);

function inlineIncludes(source: string, seen: Set<string>): string {
  return source.replace(/^--- @include "([^"]+)"\s*$/gm, (_line, path: string) => {
    if (seen.has(path)) return '';
    seen.add(path);
    return inlineIncludes(readFileSync(new URL(`${path}.lua`, commandsDir), 'utf8'), seen);
  });
}

function loadCommands(): Map<string, LuaCommand> {
  const commands = new Map<string, LuaCommand>();
  for (const file of readdirSync(commandsDir)) {
    const match = /^([a-zA-Z]+)-(\d+|n)\.lua$/.exec(file);
    if (!match) continue;
    const [, name, keys] = match as unknown as [string, string, string];
    const lua = inlineIncludes(readFileSync(new URL(file, commandsDir), 'utf8'), new Set());
    commands.set(name, { name, numberOfKeys: keys === 'n' ? null : Number(keys), lua });
  }
  return commands;
}

export const luaCommands = loadCommands();

/** The name a script is registered under on an ioredis client, e.g. `hlAssignHead_v5`. */
export function registeredName(name: string): string {
  return `hl${name.charAt(0).toUpperCase()}${name.slice(1)}_v${COMMANDS_VERSION}`;
}
