import type { Actor } from 'xstate';
import { chooseRoute, routeChangesPool, type RouteCandidate } from '../../machines/policy/pool-policy.js';
import type { PoolMachine } from '../../machines/pool-machine.js';
import type { ConversationAnswer, PoolEvent, RouteResult } from '../../machines/pool-types.js';
import { AnswerDigest, answeredDigest, prefixDigests, type DigestToolCall } from '../conversations/conversation-digest.js';
import { refuseLostWithoutHistory } from '../conversations/lost-conversation.js';
import { sessionKeyId } from '../conversations/session-key.js';
import type { ChatRequestBody, ConversationTurn } from '../drivers/driver.js';
import { mayTake, release, reserveFor } from './quarantine.js';
import type { SupervisedWorker } from './supervisor.js';

/** A request as routing sees it: its conversation's digests and name (the session key's id, never the key). */
export interface PreparedRequest {
  requestId: string;
  body: ChatRequestBody;
  prefixDigests: string[];
  key: string | null;
  hasAssistant: boolean;
  /** Whose request it is; its key and conversations are its own. */
  tenant: string;
}

/** The digest of all the request's messages: an answer's digest continues it. */
export const requestDigest = (request: PreparedRequest): string => request.prefixDigests[request.prefixDigests.length - 1]!;

export interface RoutedRequest {
  worker: SupervisedWorker;
  run: number;
  result: RouteResult;
  /** A first turn answered on its tenant's lane. */
  lane: boolean;
  /** For a stateful worker: whether it continues the conversation, and the messages to send. */
  turn: ConversationTurn | undefined;
  request: PreparedRequest;
  /** A re-dispatch: it holds its worker alone (quarantine.ts) until it ends. */
  exclusive: boolean;
}

/** The most answers kept from the pool before they are told anyway. */
const MAX_UNTOLD = 64;

export interface ConversationRoutingOptions {
  pool: Actor<PoolMachine>;
  workers(): readonly SupervisedWorker[];
  /** Takes the chosen worker's slot before anyone else can choose it. */
  claim(routed: RoutedRequest): void;
}

// The facade's half of conversation routing: it prepares each request's digests, asks the pool's
// pure policy where the request goes, claims that worker and tells the pool what changes it.
// Answers are told in batches (one pool event for many answers): before anything else the pool
// learns, before any route they could change, before the pool is read, and at the latest every
// MAX_UNTOLD answers — so the pool never sees events out of order and no decision reads a table
// that lacks an answer it depends on. (The pool's own idle check cannot miss one either: a process
// stays busy to it until its worker.changed, which is told after the answers.)
export function createConversationRouting(options: ConversationRoutingOptions) {
  const { pool } = options;
  const wantingClean = new Set<PreparedRequest>();
  let turn = 0;
  let answers: ConversationAnswer[] = [];
  /** The digests and keys (as `key:…`) the untold answers touch: theirs, and what their processes held. */
  const touched = new Set<string>();
  const tellAnswers = () => {
    if (answers.length === 0) return;
    const told = answers;
    answers = [];
    touched.clear();
    pool.send({ type: 'conversations.answered', answers: told, at: Date.now() });
  };
  const touches = (request: PreparedRequest) =>
    (request.key !== null && touched.has(`key:${request.key}`)) || request.prefixDigests.some((digest) => touched.has(digest));
  const mark = (conversation: { digest: string; key: string | null }) => {
    touched.add(conversation.digest);
    if (conversation.key !== null) touched.add(`key:${conversation.key}`);
  };
  const tell = (event: PoolEvent) => {
    tellAnswers();
    pool.send(event);
  };
  // `quiet`: the caller tells the new count itself (with the route that took a clean process, so the
  // pool never sees one fewer request waiting while the process it took still looks clean).
  const setWanting = (request: PreparedRequest, wants: boolean, quiet = false): boolean => {
    const before = wantingClean.size;
    if (wants) wantingClean.add(request);
    else wantingClean.delete(request);
    const changed = wantingClean.size !== before;
    if (changed && !quiet) tell({ type: 'clean.wanted', count: wantingClean.size, at: Date.now() });
    return changed;
  };

  return {
    /** Tells the pool an event of the facade's (after the answers gathered so far). */
    tell,
    /** Tells the pool the answers gathered so far (before its snapshot is read). */
    tellAnswers,
    prepare(requestId: string, body: ChatRequestBody, sessionKey: string | null, tenant: string): PreparedRequest {
      // The key is checked (and hashed, within its tenant) before any work is spent on the messages.
      const key = sessionKeyId(sessionKey, body.prompt_cache_key);
      return {
        requestId,
        body,
        prefixDigests: prefixDigests(body.messages),
        key,
        hasAssistant: body.messages.some((message) => message.role === 'assistant'),
        tenant,
      };
    },
    /** The worker for this request now, claimed; null: it waits. `avoid`: a run that just failed it (a re-dispatch, run in quarantine). */
    choose(request: PreparedRequest, avoid?: { workerId: string; run: number }): RoutedRequest | null {
      if (answers.length > 0 && touches(request)) tellAnswers();
      const context = pool.getSnapshot().context;
      refuseLostWithoutHistory(context, request);
      const workers = options.workers();
      const suspect = avoid !== undefined;
      const usable: SupervisedWorker[] = [];
      const candidates: RouteCandidate[] = workers.map((worker) => {
        const snapshot = worker.actor.getSnapshot();
        const avoided = suspect && avoid.workerId === worker.id && avoid.run === snapshot.context.run;
        const accepting = snapshot.hasTag('accepting') && !avoided;
        if (accepting) usable.push(worker);
        return {
          id: worker.id,
          accepting,
          free: mayTake(worker, snapshot.context.maxConcurrency, request, suspect),
          load: worker.leases,
        };
      });
      turn = (turn + 1) % Math.max(1, workers.length);
      const decision = chooseRoute(context, candidates, request, turn);
      if (decision.kind === 'wait') {
        setWanting(request, decision.clean);
        if (suspect) reserveFor(request, usable);
        return null;
      }
      const wantedChanged = setWanting(request, false, true);
      if (suspect) release(request, workers);
      const worker = workers.find((w) => w.id === decision.slotId)!;
      const snapshot = worker.actor.getSnapshot();
      const isolated = decision.isolated && snapshot.context.stateful;
      const continues = decision.result === 'continued';
      const routed: RoutedRequest = {
        worker,
        run: snapshot.context.run,
        result: decision.result,
        lane: decision.lane,
        turn: isolated ? { continues, messages: continues ? request.body.messages.slice(decision.newFrom) : request.body.messages } : undefined,
        request,
        exclusive: suspect,
      };
      options.claim(routed);
      if (routeChangesPool(context, worker.id, routed.result, request.key)) {
        const cleanWanted = wantedChanged ? { cleanWanted: wantingClean.size } : {};
        tell({ type: 'request.routed', slotId: worker.id, run: routed.run, result: routed.result, key: request.key, tenant: request.tenant, lane: decision.lane, ...cleanWanted, at: Date.now() });
      } else if (wantedChanged) {
        tell({ type: 'clean.wanted', count: wantingClean.size, at: Date.now() });
      }
      return routed;
    },
    /** The request gave up waiting (timeout, client gone, shutdown). */
    forget(request: PreparedRequest): void {
      setWanting(request, false);
      release(request, options.workers());
    },
    /** The worker answered: the pool remembers the conversation against it. */
    answered(routed: RoutedRequest, answer: AnswerDigest | { content: string; toolCalls: DigestToolCall[] }): void {
      const { request } = routed;
      const told: ConversationAnswer = {
        slotId: routed.worker.id,
        run: routed.run,
        digest: answer instanceof AnswerDigest ? answer.digest() : answeredDigest(requestDigest(request), answer),
        key: routed.lane ? null : request.key,
        tenant: request.tenant,
        lane: routed.lane,
        messageCount: request.body.messages.length + 1,
        continued: routed.result === 'continued',
        at: Date.now(),
      };
      answers.push(told);
      mark(told);
      const held = pool.getSnapshot().context.slots.find((slot) => slot.id === told.slotId)?.conversation;
      if (held) mark(held);
      if (answers.length >= MAX_UNTOLD) tellAnswers();
    },
  };
}
