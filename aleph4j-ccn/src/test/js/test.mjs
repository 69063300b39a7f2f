// Exercises an aleph4j CCN with upstream's TypeScript SDK. Prints "OK <step>" per step and "ALL OK" at the
// end; any failure prints "FAIL <step>: <reason>" and exits with status 1.
import { createHash, randomBytes } from 'node:crypto';
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

  // random binary files of several sizes (around the 1500-byte compression threshold, ~1 MiB), sent as Blobs,
  // read back raw and base64 with gzip asked for, byte for byte
  step = 'binary-sizes';
  for (const size of [1, 1499, 1537, 65 * 1024 + 3, 1024 * 1024 + 17]) {
    const data = randomBytes(size);
    const st = await client.createStore({ fileObject: new Blob([data]), channel: 'TEST', sync: true });
    const h = (await client.getMessage(st.item_hash)).content.item_hash;
    check(h === createHash('sha256').update(data).digest('hex'), 'stored hash of ' + size + ' bytes is not their sha256');
    const viaSdk = Buffer.from(await client.downloadFile(h));
    check(viaSdk.equals(data), 'SDK download of ' + size + ' bytes differs (' + viaSdk.length + ' bytes back)');
    const raw = await fetch(url + '/api/v0/storage/raw/' + h, { headers: { 'Accept-Encoding': 'gzip' } });
    check(raw.status === 200, 'raw download status ' + raw.status);
    const rawBytes = Buffer.from(await raw.arrayBuffer());
    check(rawBytes.equals(data), 'gzip-accepting raw download of ' + size + ' bytes differs');
    const b64 = await fetch(url + '/api/v0/storage/' + h, { headers: { 'Accept-Encoding': 'gzip' } });
    const b64Body = await b64.json();
    check(b64.status === 200 && b64Body.engine === 'storage', 'base64 view: ' + b64.status);
    check(Buffer.from(b64Body.content, 'base64').equals(data), 'base64 content of ' + size + ' bytes differs');
  }
  console.log('OK binary-sizes');

  // what upstream's clients do with files above 4 MiB: ipfs/add_file, then a STORE of item_type ipfs with the hash
  // answered, which on aleph4j is the file's sha256
  step = 'ipfs-store';
  const viaIpfs = randomBytes(300 * 1024);
  const ipfsStore = await client.createStore({ fileObject: new Blob([viaIpfs]), storageEngine: 'ipfs', channel: 'TEST', sync: true });
  const ipfsMessage = await client.getMessage(ipfsStore.item_hash);
  check(ipfsMessage.content.item_type === 'ipfs', 'item_type ' + ipfsMessage.content.item_type);
  check(ipfsMessage.content.item_hash === createHash('sha256').update(viaIpfs).digest('hex'), 'the ipfs STORE does not name the sha256');
  check(Buffer.from(await client.downloadFile(ipfsMessage.content.item_hash)).equals(viaIpfs), 'file stored through ipfs/add_file differs');
  console.log('OK ipfs-store ' + ipfsStore.item_hash);

  step = 'posts-list';
  const blog = await client.createPost({ postType: 'sdk-blog', content: { title: 'first', tags: ['sdk'] }, channel: 'TEST', sync: true });
  const amend = await client.createPost({ postType: 'amend', ref: blog.item_hash, content: { title: 'second', tags: ['sdk'] }, channel: 'TEST', sync: true });
  const listed = await client.getPosts({ addresses: [account.address], types: ['sdk-blog'] });
  check(listed.posts.length === 1 && listed.pagination_total === 1, 'getPosts found ' + listed.posts.length);
  check(listed.posts[0].content.title === 'second', 'getPosts content is not the amended one: ' + JSON.stringify(listed.posts[0].content));
  check(listed.posts[0].item_hash === amend.item_hash && listed.posts[0].original_item_hash === blog.item_hash
      && listed.posts[0].hash === blog.item_hash, 'getPosts hashes: ' + JSON.stringify(listed.posts[0]));
  const byTag = await client.getPosts({ tags: ['sdk'], addresses: [account.address] });
  check(byTag.posts.length === 1, 'getPosts by tag found ' + byTag.posts.length);
  const v1 = await (await fetch(url + '/api/v1/posts.json?addresses=' + account.address + '&types=sdk-blog')).json();
  check(v1.posts.length === 1 && v1.posts[0].content.title === 'second' && v1.posts[0].original_item_hash === blog.item_hash,
      'v1 posts: ' + JSON.stringify(v1));
  console.log('OK posts-list ' + listed.posts[0].item_hash);

  step = 'aggregates-list';
  await client.createAggregate({ key: 'settings', content: { theme: 'dark' }, channel: 'TEST', sync: true });
  const both = await client.fetchAggregates(account.address, ['profile', 'settings']);
  check(both.profile?.name === 'sdk' && both.settings?.theme === 'dark', 'fetchAggregates: ' + JSON.stringify(both));
  const list = await (await fetch(url + '/api/v0/aggregates.json?addresses=' + account.address)).json();
  check(list.pagination_total === 2 && list.aggregates.map((a) => a.key).sort().join() === 'profile,settings',
      'aggregates.json: ' + JSON.stringify(list));
  console.log('OK aggregates-list ' + list.aggregates.length);

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
