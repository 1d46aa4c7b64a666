/**
 * What the app registered through `@azure/functions-core`, in the worker's own shapes.
 * Binding options are kept as the library produced them, with `%Setting%` references resolved.
 */
export interface BindingDef {
  type: string;
  direction?: string;
  name: string;
  [option: string]: unknown;
}

export type FunctionHandler = (triggerInput: unknown, context: unknown) => unknown;

export interface RegisteredFunction {
  name: string;
  /** The binding whose `type` ends in `Trigger`. */
  trigger: BindingDef;
  bindings: BindingDef[];
  handler: FunctionHandler;
  retry?: unknown;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (coreContext: Record<string, unknown>) => unknown;

export class Registry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<HookName, Set<HookCallback>>();

  add(fn: RegisteredFunction): void {
    if (this.functions.has(fn.name)) throw new Error(`A function named "${fn.name}" is already registered.`);
    this.functions.set(fn.name, fn);
  }

  byTrigger(type: string): RegisteredFunction[] {
    return [...this.functions.values()].filter((f) => f.trigger.type === type);
  }

  find(name: string): RegisteredFunction | undefined {
    // The real host matches function names case-insensitively (admin API, durable names).
    const exact = this.functions.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    return [...this.functions.values()].find((f) => f.name.toLowerCase() === lower);
  }

  addHook(name: HookName, cb: HookCallback): () => void {
    let set = this.hooks.get(name);
    if (!set) this.hooks.set(name, (set = new Set()));
    set.add(cb);
    return () => set.delete(cb);
  }

  async runHooks(name: HookName, coreContext: Record<string, unknown>): Promise<void> {
    for (const cb of this.hooks.get(name) ?? []) await cb(coreContext);
  }
}
