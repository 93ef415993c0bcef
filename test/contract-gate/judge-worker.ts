// The contract gate's judge in a worker thread: loading the 3 MB document and compiling schemas never
// blocks the test process's event loop, where the service under test keeps its own timeouts.
import { parentPort } from 'node:worker_threads';
import type { SandboxExchange } from '../../src/sandbox/observer.ts';
import { type ContractGate, createContractGate, type Verdict } from './validator.ts';

let gate: ContractGate | undefined;

export function judge(exchange: SandboxExchange): Verdict {
  try {
    gate ??= createContractGate();
    return gate.check(exchange);
  } catch (error) {
    // A fault of the gate itself fails the test too, rather than passing the exchange unchecked.
    return { requestProblems: [], violations: [`the contract gate failed: ${(error as Error).message}`] };
  }
}

parentPort?.on('message', (message: { seq: number; exchange: SandboxExchange }) => {
  parentPort!.postMessage({ seq: message.seq, verdict: judge(message.exchange) });
});
