// Drives `bloomj serve` with the official openai npm client. Usage: node openai-client.mjs BASE_URL
// (BASE_URL ends with /v1). Exits 0 when every check passes, 1 with a message otherwise.
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
const messages = [
  { role: 'system', content: 'Tu es un assistant.' },
  { role: 'user', content: "C'est quoi le deep learning ?" },
];

const models = await client.models.list();
assert.ok(models.data.length === 1 && models.data[0].id, 'one model listed');

// Plain chat completion.
const plain = await client.chat.completions.create({ model: models.data[0].id, messages, max_tokens: 12, temperature: 0 });
assert.equal(plain.object, 'chat.completion');
assert.equal(plain.choices.length, 1);
assert.equal(plain.choices[0].message.role, 'assistant');
assert.ok(['stop', 'length'].includes(plain.choices[0].finish_reason));
assert.ok(plain.usage.prompt_tokens > 0 && plain.usage.completion_tokens > 0);
assert.equal(plain.usage.total_tokens, plain.usage.prompt_tokens + plain.usage.completion_tokens);

// Streamed: the deltas make the same greedy answer; the usage chunk comes last.
const stream = await client.chat.completions.create({
  model: models.data[0].id, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true },
});
let text = '';
let finish = null;
let usage = null;
for await (const chunk of stream) {
  assert.equal(chunk.object, 'chat.completion.chunk');
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    text += choice.delta?.content ?? '';
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}
assert.equal(text, plain.choices[0].message.content, 'streamed text equals the plain answer');
assert.equal(finish, plain.choices[0].finish_reason);
assert.deepEqual(usage, plain.usage);

// Legacy completions, and log-probabilities.
const completion = await client.completions.create({ model: models.data[0].id, prompt: 'Le ciel est', max_tokens: 3, temperature: 0 });
assert.equal(completion.choices[0].text.length >= 0, true);
assert.equal(completion.usage.completion_tokens, 3);
const withLogprobs = await client.chat.completions.create({
  model: models.data[0].id, messages, max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 2,
});
assert.equal(withLogprobs.choices[0].logprobs.content.length, 3);
assert.equal(withLogprobs.choices[0].logprobs.content[0].top_logprobs.length, 2);

// A bad request is an APIError with status 400 and OpenAI's error fields.
try {
  await client.chat.completions.create({ model: models.data[0].id, messages, temperature: 'hot' });
  assert.fail('a bad temperature must be refused');
} catch (e) {
  assert.ok(e instanceof OpenAI.BadRequestError, `BadRequestError expected, got ${e}`);
  assert.equal(e.status, 400);
  assert.equal(e.param, 'temperature');
}
console.log('openai npm client: all checks passed');
