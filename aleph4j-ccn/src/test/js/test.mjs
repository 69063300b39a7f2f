// Exercises an aleph4j CCN with upstream's TypeScript SDK. Prints "OK <step>" per step and "ALL OK" at the
// end; any failure prints "FAIL <step>: <reason>" and exits with status 1.
import { randomBytes } from 'node:crypto';
import { AuthenticatedAlephHttpClient } from '@aleph-sdk/client';
import { importAccountFromPrivateKey } from '@aleph-sdk/ethereum';

const url = process.argv[2];
if (!url) {
  console.error('usage: node test.mjs <ccn url>');
  process.exit(2);
}
const account = importAccountFromPrivateKey(randomBytes(32).toString('hex'));
const client = new AuthenticatedAlephHttpClient(account, url);
let step = 'start';

function check(cond, what) {
  if (!cond) throw new Error(what);
}

try {
  step = 'post';
  const post = await client.createPost({ postType: 'sdk-test', content: { hello: 'from the TS SDK' }, channel: 'TEST', sync: true });
  const readPost = await client.getMessage(post.item_hash);
  check(readPost.content.content.hello === 'from the TS SDK', 'post content read back differs: ' + JSON.stringify(readPost.content));
  console.log('OK post ' + post.item_hash);

  step = 'store';
  const bytes = Buffer.from('file stored by the TS SDK ' + account.address);
  const store = await client.createStore({ fileObject: bytes, channel: 'TEST', sync: true });
  const readStore = await client.getMessage(store.item_hash);
  check(readStore.type === 'STORE', 'store message type ' + readStore.type);
  const fileHash = readStore.content.item_hash;
  console.log('OK store ' + store.item_hash + ' file ' + fileHash);

  step = 'download';
  const downloaded = Buffer.from(await client.downloadFile(fileHash));
  check(downloaded.equals(bytes), 'downloaded bytes differ');
  console.log('OK download ' + downloaded.length + ' bytes');

  // axios asks for gzip; a binary file larger than the compression threshold must still arrive intact
  step = 'download-binary';
  const binary = randomBytes(200 * 1024 + 1);
  // a Buffer would be appended to the SDK's form as text (mangling non-UTF-8 bytes); a Blob goes as bytes
  const binaryStore = await client.createStore({ fileObject: new Blob([binary]), channel: 'TEST', sync: true });
  const binaryHash = (await client.getMessage(binaryStore.item_hash)).content.item_hash;
  const binaryBack = Buffer.from(await client.downloadFile(binaryHash));
  check(binaryBack.equals(binary), 'downloaded binary differs: ' + binaryBack.length + ' of ' + binary.length + ' bytes');
  console.log('OK download-binary ' + binaryBack.length + ' bytes');

  step = 'aggregate';
  await client.createAggregate({ key: 'profile', content: { name: 'sdk' }, channel: 'TEST', sync: true });
  await client.createAggregate({ key: 'profile', content: { age: 7 }, channel: 'TEST', sync: true });
  const profile = await client.fetchAggregate(account.address, 'profile');
  check(profile.name === 'sdk' && profile.age === 7, 'aggregate read back: ' + JSON.stringify(profile));
  console.log('OK aggregate ' + JSON.stringify(profile));

  step = 'query';
  const page = await client.getMessages({ addresses: [account.address], pagination: 10 });
  check(page.messages.length === 5, 'expected 5 messages, got ' + page.messages.length);
  const posts = await client.getMessages({ addresses: [account.address], messageTypes: ['POST'] });
  check(posts.messages.length === 1 && posts.messages[0].item_hash === post.item_hash, 'POST filter');
  console.log('OK query ' + page.messages.length + ' messages');

  step = 'forget';
  await client.forget({ hashes: [post.item_hash], reason: 'sdk test', channel: 'TEST', sync: true });
  let forgotten = false;
  try {
    await client.getMessage(post.item_hash);
  } catch (e) {
    forgotten = e.name === 'ForgottenMessageError';
    if (!forgotten) throw e;
  }
  check(forgotten, 'the post is still readable after FORGET');
  console.log('OK forget');
  console.log('ALL OK');
} catch (e) {
  const detail = e?.response?.data ? ' ' + JSON.stringify(e.response.data) : '';
  console.log('FAIL ' + step + ': ' + (e?.message ?? e) + detail);
  process.exit(1);
}
