import { causalOrder } from '../src/operations/timeline.js';

describe('operation timelines', () => {
  it('puts parents before children and siblings by time', () => {
    const step = (messageId: string, causationId: string, occurredAt: string) => ({
      messageId,
      causationId,
      kind: 'event' as const,
      type: messageId,
      service: 's',
      occurredAt,
    });
    const ordered = causalOrder([step('c', 'b', '3'), step('b', 'a', '2'), step('a', '', '1'), step('b2', 'a', '1.5')]);
    expect(ordered.map((s) => [s.messageId, s.depth])).toEqual([
      ['a', 0],
      ['b2', 1],
      ['b', 1],
      ['c', 2],
    ]);
  });

  it('a step that names itself as its cause is a root, shown once', () => {
    const self = { messageId: 'x', causationId: 'x', kind: 'event' as const, type: 't', service: 's', occurredAt: '1' };
    expect(causalOrder([self]).map((s) => [s.messageId, s.depth])).toEqual([['x', 0]]);
  });
});
