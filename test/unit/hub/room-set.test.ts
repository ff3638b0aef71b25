import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { RoomSet } from '../../../src/hub/room-set.js';

test('room set - behaves as a Set for any sequence of adds and deletes: size, has, order', () => {
  const op = fc.record({ add: fc.boolean(), item: fc.integer({ min: 1, max: 5 }) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const mine = new RoomSet<number>();
      const model = new Set<number>();
      for (const { add, item } of ops) {
        if (add) {
          mine.add(item);
          model.add(item);
        } else {
          assert.equal(mine.delete(item), model.delete(item));
        }
        assert.equal(mine.size, model.size);
        for (let k = 1; k <= 5; k++) assert.equal(mine.has(k), model.has(k));
        assert.deepEqual([...mine], [...model], 'the same rooms, in the order they were added');
      }
    }),
  );
});

test('room set - one room is held without a Set; a second makes one; back to one drops it', () => {
  const rooms = new RoomSet<string>();
  assert.equal(rooms.size, 0);
  assert.deepEqual([...rooms], []);
  rooms.add('general').add('general');
  assert.equal(rooms.size, 1);
  rooms.add('juegos');
  assert.deepEqual([...rooms], ['general', 'juegos']);
  assert.equal(rooms.delete('general'), true);
  assert.deepEqual([...rooms], ['juegos']);
  assert.equal(rooms.delete('general'), false);
  assert.equal(rooms.delete('juegos'), true);
  assert.equal(rooms.size, 0);
});
