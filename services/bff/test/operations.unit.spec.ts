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
    expect(ordered.map((s) => s.messageId)).toEqual(['a', 'b2', 'b', 'c']);
  });
});
