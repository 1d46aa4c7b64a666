// Calls one function the way the Node worker does: a fresh InvocationContext from the app's own
// library, extra inputs filled in, pre/post-invocation hooks around the handler.
import { randomUUID } from 'node:crypto';
import type { FunctionsLibrary } from './app-loader.js';
import type { BindingDef, RegisteredFunction, Registry } from './registry.js';

export type LogLine = (level: string, functionName: string, message: string) => void;

/** Values for extra input bindings, by binding type (e.g. the durable client's JSON). */
export type InputProvider = (binding: BindingDef, fn: RegisteredFunction) => unknown;

export interface InvokeOptions {
  triggerMetadata?: Record<string, unknown>;
  retryContext?: { retryCount: number; maxRetryCount: number };
}

/**
 * Calls a function the way the Node worker does: a fresh `InvocationContext` built by the app's
 * own library, extra inputs filled in, pre/post-invocation hooks around the handler.
 */
export class Invoker {
  private readonly inputProviders = new Map<string, InputProvider>();

  constructor(
    private readonly registry: Registry,
    private readonly library: FunctionsLibrary,
    private readonly log: LogLine,
  ) {}

  provideInput(bindingType: string, provider: InputProvider): void {
    this.inputProviders.set(bindingType, provider);
  }

  async invoke(fn: RegisteredFunction, triggerInput: unknown, options: InvokeOptions = {}): Promise<unknown> {
    const context = this.createContext(fn, options);
    const hookData: Record<string, unknown> = {};
    const pre = { invocationContext: context, inputs: [triggerInput], functionCallback: fn.handler, hookData };
    await this.registry.runHooks('preInvocation', pre);
    let result: unknown;
    let error: unknown;
    try {
      const [input] = pre.inputs;
      result = await pre.functionCallback(input, context);
    } catch (err) {
      error = err;
    }
    const post = { invocationContext: context, inputs: pre.inputs, result, error, hookData };
    await this.registry.runHooks('postInvocation', post);
    if (post.error)
      throw post.error instanceof Error
        ? post.error
        : new Error(`Function ${fn.name} threw a non-Error value: ${JSON.stringify(post.error)}`);
    return post.result;
  }

  private createContext(fn: RegisteredFunction, options: InvokeOptions): InstanceType<FunctionsLibrary['InvocationContext']> {
    const extraInputs = fn.bindings.filter((b) => b !== fn.trigger && isIn(b));
    const extraOutputs = fn.bindings.filter((b) => b !== fn.trigger && !isIn(b) && b.name !== '$return');
    const ret = fn.bindings.find((b) => b.name === '$return');
    const context = new this.library.InvocationContext({
      invocationId: randomUUID(),
      functionName: fn.name,
      triggerMetadata: options.triggerMetadata ?? {},
      retryContext: options.retryContext,
      logHandler: (level, ...args) => this.log(level, fn.name, args.map(String).join(' ')),
      options: {
        trigger: fn.trigger,
        extraInputs: extraInputs,
        extraOutputs: extraOutputs,
        return: ret as never,
      },
    });
    for (const binding of extraInputs) {
      const provider = this.inputProviders.get(binding.type);
      if (provider) context.extraInputs.set(binding.name, provider(binding, fn));
    }
    return context;
  }
}

function isIn(b: BindingDef): boolean {
  return b.direction === undefined || b.direction === 'in';
}
