// Every manifest in test/fixtures/invalid/ is a mistake a user makes; the API server must
// refuse each when it is applied, with an error that names the field. Anything wrongly
// accepted is deleted again.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { testNamespace } from '../support/kube.ts';
import { invalidFixtures, isAtOrBelow, type InvalidFixture } from '../support/fixtures.ts';
import {
  createObject,
  deleteObject,
  installCrds,
  refusal,
  replaceStatus,
  type Refusal,
} from '../support/furrow.ts';

before(installCrds);

/** The refusal of the request the fixture's mistake is in, or undefined if it was accepted. */
async function send(fixture: InvalidFixture, namespace: string): Promise<Refusal | undefined> {
  const { manifest } = fixture;
  // A leftover of an interrupted run would turn the create into a conflict.
  await deleteObject({ kind: manifest.kind, name: manifest.metadata.name }, namespace);
  try {
    if (fixture.subresource === 'status') {
      // Status sent on create is dropped; only the status subresource validates it.
      const { status, ...withoutStatus } = manifest;
      const created = await createObject(withoutStatus, namespace);
      await replaceStatus(created, status, namespace);
    } else {
      await createObject(manifest, namespace);
    }
    return undefined;
  } catch (err) {
    return refusal(err);
  }
}

test('the API server refuses every invalid manifest, naming the field', async (t) => {
  const namespace = await testNamespace(t, 'invalid');
  for (const fixture of invalidFixtures()) {
    await t.test(`${fixture.file}: ${fixture.mistake}`, async () => {
      const { manifest } = fixture;
      const target = { kind: manifest.kind, name: manifest.metadata.name };
      try {
        const refused = await send(fixture, namespace);
        assert.ok(refused, 'accepted');
        assert.equal(refused.code, fixture.httpStatus, refused.message);
        assert.ok(
          refused.message.includes(fixture.expect),
          `does not name ${fixture.expect}: ${refused.message}`,
        );
        // "<nil>" stands for "some validation rules were not checked because the object was invalid".
        const elsewhere = refused.fields.filter((f) => f !== '<nil>' && !isAtOrBelow(f, fixture.expect));
        assert.deepEqual(elsewhere, [], `a second mistake: ${refused.message}`);
      } finally {
        await deleteObject(target, namespace);
      }
    });
  }
});
