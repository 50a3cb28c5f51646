import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../raft/types.js';
import { AcceptHandshake, DialHandshake, type HandshakeStep } from './handshake.js';
import type { Wire } from './wire.js';

const secret = Buffer.from('a-shared-cluster-secret');
const rules = (known: NodeId[]) => ({ isKnownPeer: (id: NodeId) => known.includes(id), dialsTo: (id: NodeId) => id < 'n2' });

function reply(step: HandshakeStep): Wire {
  if (step.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(step)}`);
  return step.wire;
}

describe('handshake', () => {
  it('authenticates both sides that share the secret', () => {
    const dialer = new DialHandshake('n1', 'n2', secret);
    const acceptor = new AcceptHandshake('n2', secret, rules(['n1']));
    const challenge = reply(acceptor.receive(dialer.hello()));
    const auth = reply(dialer.receive(challenge));
    const accepted = acceptor.receive(auth);
    expect(accepted).toEqual({ kind: 'done', peer: 'n1', reply: { kind: 'welcome' } });
    expect(dialer.receive({ kind: 'welcome' })).toEqual({ kind: 'done', peer: 'n2', reply: undefined });
  });

  it('the dialler refuses an acceptor that does not know the secret', () => {
    const dialer = new DialHandshake('n1', 'n2', secret);
    const acceptor = new AcceptHandshake('n2', Buffer.from('some-other-secret!!'), rules(['n1']));
    const step = dialer.receive(reply(acceptor.receive(dialer.hello())));
    expect(step).toMatchObject({ kind: 'fail', auth: true });
  });

  it('the acceptor refuses a dialler that does not know the secret', () => {
    const dialer = new DialHandshake('n1', 'n2', Buffer.from('some-other-secret!!'));
    const acceptor = new AcceptHandshake('n2', secret, rules(['n1']));
    reply(acceptor.receive(dialer.hello()));
    expect(acceptor.receive({ kind: 'auth', proof: new Uint8Array(32) })).toMatchObject({ kind: 'fail', auth: true });
  });

  it('a proof from one session is useless in another (fresh nonces)', () => {
    const dialer = new DialHandshake('n1', 'n2', secret);
    const first = new AcceptHandshake('n2', secret, rules(['n1']));
    const hello = dialer.hello();
    const auth = reply(dialer.receive(reply(first.receive(hello))));
    const second = new AcceptHandshake('n2', secret, rules(['n1']));
    reply(second.receive(hello)); // replayed hello
    expect(second.receive(auth)).toMatchObject({ kind: 'fail', auth: true });
  });

  it('a proof cannot be reflected: the acceptor proof does not pass as a dialler proof', () => {
    const dialer = new DialHandshake('n1', 'n2', secret);
    const acceptor = new AcceptHandshake('n2', secret, rules(['n1']));
    const challenge = reply(acceptor.receive(dialer.hello()));
    if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
    expect(acceptor.receive({ kind: 'auth', proof: challenge.proof })).toMatchObject({ kind: 'fail', auth: true });
  });

  it('refuses ids outside the peer list (auth), misaddressed hellos and the wrong dial direction (protocol)', () => {
    const acceptor = (): AcceptHandshake => new AcceptHandshake('n2', secret, rules(['n1', 'n3']));
    expect(acceptor().receive(new DialHandshake('n0', 'n2', secret).hello())).toMatchObject({ kind: 'fail', auth: true });
    expect(acceptor().receive(new DialHandshake('n1', 'n5', secret).hello())).toMatchObject({ kind: 'fail', auth: false });
    expect(acceptor().receive(new DialHandshake('n3', 'n2', secret).hello())).toMatchObject({ kind: 'fail', auth: false });
  });

  it('refuses frames out of order, and a challenge from another node than the one dialled', () => {
    expect(new AcceptHandshake('n2', secret, rules(['n1'])).receive({ kind: 'welcome' })).toMatchObject({ kind: 'fail', auth: false });
    const dialer = new DialHandshake('n1', 'n2', secret);
    dialer.hello();
    expect(dialer.receive({ kind: 'welcome' })).toMatchObject({ kind: 'fail', auth: false });
    const other = new DialHandshake('n1', 'n2', secret);
    const hello = other.hello();
    const challenge = reply(new AcceptHandshake('n3', secret, { isKnownPeer: () => true, dialsTo: () => true }).receive({ ...hello, to: 'n3' } as Wire));
    expect(other.receive(challenge)).toMatchObject({ kind: 'fail', auth: false });
  });
});
