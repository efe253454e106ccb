import type { Redis } from 'ioredis';
import { type CommandCounts, summary } from './redis-counter';

/**
 * Counts the commands Redis runs on a key prefix, as Redis itself sees them (MONITOR): a script's
 * EVALSHA and every command the script runs inside Redis, which a client-side count sees as one. This
 * is what the bench's `INFO commandstats` counts; on a shared Redis only the prefix's keys are ours.
 * A command is the prefix's when one of its arguments (key, channel) starts with the prefix.
 */
export class RedisMonitorCounter {
  private counts = new Map<string, number>();
  private background = new Map<string, number>();
  private monitor: Redis | null = null;

  constructor(
    private readonly prefix: string,
    private readonly isBackground: (label: string, args: unknown[]) => boolean = () => false,
  ) {}

  /** Starts watching through its own connection (a monitoring connection sends nothing else). */
  async start(redis: Redis): Promise<this> {
    this.monitor = await redis.monitor();
    this.monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const [name = '', ...rest] = args;
      if (!rest.some((arg) => arg.startsWith(this.prefix))) return;
      const label = source.includes('lua') ? `${name.toLowerCase()} (script)` : name.toLowerCase();
      const into = this.isBackground(name.toLowerCase(), rest) ? this.background : this.counts;
      into.set(label, (into.get(label) ?? 0) + 1);
    });
    return this;
  }

  stop(): void {
    this.monitor?.disconnect();
    this.monitor = null;
  }

  /** Counts since the last take, left as they are (to wait for a command to show up). */
  peek(): CommandCounts {
    return summary(this.counts);
  }

  /** Counts since the last take (background ones apart), zeroed. */
  take(): { counted: CommandCounts; background: CommandCounts } {
    const taken = { counted: summary(this.counts), background: summary(this.background) };
    this.counts = new Map();
    this.background = new Map();
    return taken;
  }
}
