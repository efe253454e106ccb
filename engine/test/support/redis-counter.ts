import { Redis } from 'ioredis';

interface SentCommand {
  name: string;
  args: unknown[];
}

type SendCommand = (this: Redis, command: SentCommand, ...rest: unknown[]) => unknown;

export interface CommandCounts {
  total: number;
  byCommand: Record<string, number>;
}

/**
 * Counts every command any ioredis client of this process sends (the store's scripts, MULTI and its
 * members, pipelines, redlock's scripts, the socket.io adapter's PUBLISHes and cluster clients' node
 * connections alike), by wrapping `Redis.prototype.sendCommand`, the one door all of them pass. A
 * command re-sent after a reconnect is counted once. Commands `isBackground` picks (loops on a clock,
 * not on a dialog) are counted apart.
 */
export class RedisCommandCounter {
  private counts = new Map<string, number>();
  private background = new Map<string, number>();
  private readonly seen = new WeakSet<SentCommand>();
  private original: SendCommand | null = null;
  /** When the last command that was not background went out (epoch ms). */
  lastAt = 0;

  constructor(
    /** A script's SHA1 → its name, so EVALSHA counts are told apart by script. */
    private readonly names: ReadonlyMap<string, string> = new Map(),
    private readonly isBackground: (label: string, args: unknown[]) => boolean = () => false,
  ) {}

  private label(command: SentCommand): string {
    const name = command.name.toLowerCase();
    if (name !== 'evalsha') return name;
    const sha = String(command.args[0]);
    return `evalsha ${this.names.get(sha) ?? sha.slice(0, 8)}`;
  }

  private count(command: SentCommand) {
    if (this.seen.has(command)) return;
    this.seen.add(command);
    const label = this.label(command);
    const background = this.isBackground(label, command.args);
    const into = background ? this.background : this.counts;
    into.set(label, (into.get(label) ?? 0) + 1);
    if (!background) this.lastAt = Date.now();
  }

  start(): this {
    if (this.original) return this;
    const original = Reflect.get(Redis.prototype, 'sendCommand') as SendCommand;
    this.original = original;
    const counter = this;
    const wrapped: SendCommand = function (command, ...rest) {
      counter.count(command);
      return original.call(this, command, ...rest);
    };
    Reflect.set(Redis.prototype, 'sendCommand', wrapped);
    return this;
  }

  stop(): void {
    if (this.original) Reflect.set(Redis.prototype, 'sendCommand', this.original);
    this.original = null;
  }

  /** Counts since the last take (background ones apart), zeroed. */
  take(): { counted: CommandCounts; background: CommandCounts } {
    const taken = { counted: summary(this.counts), background: summary(this.background) };
    this.counts = new Map();
    this.background = new Map();
    return taken;
  }
}

/** Counts by command name, as a total and sorted by name. */
export function summary(counts: Map<string, number>): CommandCounts {
  return {
    total: [...counts.values()].reduce((sum, n) => sum + n, 0),
    byCommand: Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}
